// Where the signed-in session lives: sessionStorage, so each tab signs in on its own (two people can
// try StudyConnect side by side in one browser) and the token is gone when the tab closes (shared
// school computers). A reload keeps it.
import type { Me } from "./types.ts";

const KEY = "studyconnect.session";

export type Session = { token: string; user: Me };

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "object" && value !== null && "token" in value && "user" in value && typeof value.token === "string") {
      return value as Session;
    }
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(KEY);
}
