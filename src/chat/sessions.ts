// Authentication of a presented token: valid signature and claims, and a user that still exists.
// Answers a result with the handshake's failure codes; REST and the socket gateway both use it.
import type { TokenService, UserStore } from "./ports.ts";
import type { User } from "./types.ts";

export type AuthFailureCode = "TOKEN_MISSING" | "TOKEN_INVALID" | "TOKEN_EXPIRED" | "USER_NOT_FOUND";

export type Authentication =
  | { ok: true; user: User; expiresAt: Date }
  /** reason: e.g. "jwt expired"; shown to clients as `Authentication error: <reason>`. */
  | { ok: false; code: AuthFailureCode; reason: string };

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions({ tokens, users }: { tokens: TokenService; users: UserStore }) {
  return {
    async authenticate(token: unknown): Promise<Authentication> {
      const verified = await tokens.verify(token);
      if (!verified.ok) return verified;
      // A valid token outlives a deleted account; the account is what grants access.
      const user = await users.findById(verified.userId);
      if (!user) return { ok: false, code: "USER_NOT_FOUND", reason: "User not found" };
      return { ok: true, user, expiresAt: verified.expiresAt };
    },
  };
}
