// Checks on the Origin header: a value with characters no header may carry is refused (and never
// echoed), and a WebSocket may be limited to the CORS allow-list and the server's own origin:
// CORS never covers WebSockets, so without this any site could open one with the user's cookies
// (cross-site WebSocket hijacking).
import { originAllowed } from "./cors.ts";
import type { CorsOptions } from "./types.ts";

// What engine.io accepts in a header value: tab, visible ASCII and obs-text; no other control character.
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export function isValidOrigin(origin: string): boolean {
  return !INVALID_HEADER_CHAR.test(origin);
}

/** The default of checkWebSocketOrigin: on when the CORS option names which origins are allowed. */
export function hasOriginAllowList(cors: CorsOptions | undefined): boolean {
  const origin = cors?.origin;
  return origin !== undefined && origin !== true && origin !== "*";
}

/**
 * Whether a WebSocket whose request carries `origin` may open: allowed by the CORS option, or the
 * server's own origin. "Own" compares hosts (the request's Host header) and ignores the scheme: a
 * TLS-terminating proxy makes a page on https://host talk to http://host here.
 */
export function webSocketOriginAllowed(origin: string, host: string | null, cors: CorsOptions | undefined): boolean {
  if (cors && originAllowed(cors.origin, origin)) return true;
  if (host === null) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
