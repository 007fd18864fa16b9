// CORS for the Engine.IO endpoints, with the option shape of socket.io's `cors` (the `cors`
// package). Credentials always echo one concrete origin: never "*" together with credentials.
import type { CorsOptions } from "./types.ts";

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function originAllowed(option: CorsOptions["origin"], origin: string | undefined): boolean {
  if (option === undefined || option === false) return false;
  if (option === true) return true;
  if (origin === undefined) return false;
  if (typeof option === "string") return option === "*" || option === origin;
  if (option instanceof RegExp) return option.test(origin);
  if (typeof option === "function") return option(origin);
  return option.includes(origin);
}

/** Headers for an actual (non-preflight) response; empty when CORS is off or the origin is not allowed. */
export function corsHeaders(cors: CorsOptions | undefined, origin: string | null): Record<string, string> {
  if (!cors) return {};
  const requestOrigin = origin ?? undefined;
  const headers: Record<string, string> = {};
  if (cors.origin === "*" && !cors.credentials) {
    headers["access-control-allow-origin"] = "*";
  } else if (originAllowed(cors.origin ?? "*", requestOrigin) && requestOrigin !== undefined) {
    headers["access-control-allow-origin"] = requestOrigin;
    headers.vary = "Origin";
  } else {
    return {};
  }
  if (cors.credentials) headers["access-control-allow-credentials"] = "true";
  if (cors.exposedHeaders?.length) headers["access-control-expose-headers"] = cors.exposedHeaders.join(",");
  return headers;
}

/** The 204 answer to an OPTIONS preflight. */
export function preflightResponse(cors: CorsOptions, request: Request): Response {
  const headers = corsHeaders(cors, request.headers.get("origin"));
  if (headers["access-control-allow-origin"] !== undefined) {
    headers["access-control-allow-methods"] = cors.methods?.join(",") ?? DEFAULT_METHODS;
    const requested = request.headers.get("access-control-request-headers");
    const allowed = cors.allowedHeaders?.join(",") ?? requested;
    if (allowed) headers["access-control-allow-headers"] = allowed;
    if (cors.maxAge !== undefined) headers["access-control-max-age"] = String(cors.maxAge);
  }
  return new Response(null, { status: 204, headers: { ...headers, "content-length": "0" } });
}
