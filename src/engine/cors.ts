// CORS for the Engine.IO endpoints, with the option shape of socket.io's `cors` (the `cors`
// package). Credentials always echo one concrete origin: never "*" together with credentials.
import type { CorsOptions } from "./types.ts";

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

export function originAllowed(option: CorsOptions["origin"], origin: string | undefined): boolean {
  if (option === undefined || option === false) return false;
  if (option === true) return true;
  if (origin === undefined) return false;
  if (typeof option === "string") return option === "*" || option === origin;
  if (option instanceof RegExp) return option.test(origin);
  if (typeof option === "function") return option(origin);
  return option.includes(origin);
}

/**
 * Headers for an actual (non-preflight) response; none when CORS is off. Unless the answer is the
 * same for every origin ("*" without credentials) it says `Vary: Origin`, also when the origin is
 * refused or absent: otherwise a cache could hand one origin's answer to another.
 */
export function corsHeaders(cors: CorsOptions | undefined, origin: string | null): Record<string, string> {
  if (!cors) return {};
  if (cors.origin === "*" && !cors.credentials) {
    const headers: Record<string, string> = { "access-control-allow-origin": "*" };
    if (cors.exposedHeaders?.length) headers["access-control-expose-headers"] = cors.exposedHeaders.join(",");
    return headers;
  }
  const headers: Record<string, string> = { vary: "Origin" };
  const requestOrigin = origin ?? undefined;
  if (requestOrigin === undefined || !originAllowed(cors.origin ?? "*", requestOrigin)) return headers;
  headers["access-control-allow-origin"] = requestOrigin;
  if (cors.credentials) headers["access-control-allow-credentials"] = "true";
  if (cors.exposedHeaders?.length) headers["access-control-expose-headers"] = cors.exposedHeaders.join(",");
  return headers;
}

/** The 204 answer to an OPTIONS preflight (`origin`: the request's, once known to be well-formed). */
export function preflightResponse(cors: CorsOptions, origin: string | null, request: Request): Response {
  const headers = corsHeaders(cors, origin);
  if (headers["access-control-allow-origin"] !== undefined) {
    headers["access-control-allow-methods"] = cors.methods?.join(",") ?? DEFAULT_METHODS;
    const requested = request.headers.get("access-control-request-headers");
    const allowed = cors.allowedHeaders?.join(",") ?? requested;
    if (allowed) headers["access-control-allow-headers"] = allowed;
    if (cors.maxAge !== undefined) headers["access-control-max-age"] = String(cors.maxAge);
  }
  return new Response(null, { status: 204, headers: { ...headers, "content-length": "0" } });
}
