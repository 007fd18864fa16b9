// HTTP-level errors (bad input at the edge, failed authentication) and the one table that turns a
// domain error's code into a status. The envelope's `error` field carries the code.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../chat/errors.ts";

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    /** Short machine-readable code for the envelope's `error` field. */
    readonly code: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Input the edge rejects before any use case runs; same code as the domain's INVALID. */
export class BadRequestError extends HttpError {
  constructor(message = "Bad request") {
    super(400, message, "INVALID");
  }
}

/** code: the handshake's failure codes (TOKEN_MISSING, TOKEN_EXPIRED, …) so clients know to sign in again. */
export class UnauthorizedError extends HttpError {
  constructor(message = "Authentication required", code = "UNAUTHORIZED") {
    super(401, message, code);
  }
}

export const STATUS_OF_DOMAIN_CODE = {
  INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;
