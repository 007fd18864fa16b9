// Engine.IO's request error codes with socket.io's exact JSON bodies and statuses
// (`{"code":0,"message":"Transport unknown"}` …), so clients and tools see what they expect.

export const EngineErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

const MESSAGES: Record<EngineErrorCode, string> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

export function engineErrorResponse(code: EngineErrorCode, headers: Record<string, string>, message?: string): Response {
  const status = code === EngineErrorCode.FORBIDDEN ? 403 : 400;
  return new Response(JSON.stringify({ code, message: message ?? MESSAGES[code] }), {
    status,
    headers: { ...headers, "content-type": "application/json" },
  });
}

/** A handshake refused by the per-address limits: 429 with Retry-After (seconds). */
export function tooManyHandshakes(headers: Record<string, string>, retryAfterMs: number): Response {
  return new Response(JSON.stringify({ code: EngineErrorCode.FORBIDDEN, message: "Too many connections from this address" }), {
    status: 429,
    headers: { ...headers, "content-type": "application/json", "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

/**
 * A handshake that reaches a server shutting down: 503 with Retry-After, so a proxy (nginx
 * `proxy_next_upstream http_503`) or the client's reconnection tries another node, or this one later.
 */
export function shuttingDown(headers: Record<string, string>): Response {
  return new Response(JSON.stringify({ code: EngineErrorCode.BAD_REQUEST, message: "Server shutting down" }), {
    status: 503,
    headers: { ...headers, "content-type": "application/json", "retry-after": "1" },
  });
}
