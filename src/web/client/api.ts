// The REST client: the public /api routes with the bearer token, the seed's envelope unwrapped, and
// a refused token (401 with a TOKEN_* or USER_NOT_FOUND code) reported once so the page signs out.
import type { DirectMessage, Me, Page, Profile, Room, RoomDetails, RoomMessage } from "./types.ts";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const SESSION_CODES = new Set(["TOKEN_MISSING", "TOKEN_INVALID", "TOKEN_EXPIRED", "USER_NOT_FOUND"]);

export function isSessionRefusal(code: string | undefined): boolean {
  return code !== undefined && SESSION_CODES.has(code);
}

export type Api = ReturnType<typeof createApi>;

export function createApi(getToken: () => string | undefined, onSessionRefused: (message: string) => void) {
  async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = getToken();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError("The server cannot be reached. Check the connection and try again.", "NETWORK", 0);
    }
    const envelope: unknown = await response.json().catch(() => undefined);
    if (typeof envelope === "object" && envelope !== null && "success" in envelope) {
      if (envelope.success === true && "data" in envelope) return envelope.data as T;
      const message = "message" in envelope && typeof envelope.message === "string" ? envelope.message : `Request failed (${response.status})`;
      const code = "error" in envelope && typeof envelope.error === "string" ? envelope.error : "UNKNOWN";
      if (response.status === 401 && isSessionRefusal(code)) onSessionRefused(message);
      throw new ApiError(message, code, response.status);
    }
    throw new ApiError(`Unexpected answer from the server (${response.status})`, "UNKNOWN", response.status);
  }
  const page = (before: string | undefined) => `?limit=50${before === undefined ? "" : `&before=${encodeURIComponent(before)}`}`;
  return {
    register: (input: { email: string; password: string; firstName: string; lastName: string }) => call<{ token: string; user: Me }>("POST", "/api/auth/register", input),
    login: (input: { email: string; password: string }) => call<{ token: string; user: Me }>("POST", "/api/auth/login", input),
    rooms: () => call<Room[]>("GET", "/api/rooms"),
    room: (id: string) => call<RoomDetails>("GET", `/api/rooms/${encodeURIComponent(id)}`),
    createRoom: (input: { name: string; description?: string; isPublic: boolean }) => call<Room>("POST", "/api/rooms", input),
    addParticipant: (roomId: string, userId: string) =>
      call<{ added: boolean }>("POST", `/api/rooms/${encodeURIComponent(roomId)}/participants`, { userId }),
    profile: (id: string) => call<Profile>("GET", `/api/users/${encodeURIComponent(id)}`),
    roomMessages: (roomId: string, before?: string) => call<Page<RoomMessage>>("GET", `/api/rooms/${encodeURIComponent(roomId)}/messages${page(before)}`),
    directMessages: (userId: string, before?: string) => call<Page<DirectMessage>>("GET", `/api/dms/${encodeURIComponent(userId)}/messages${page(before)}`),
  };
}
