// Errors that know their HTTP response, and the seed's JSON error envelope
// `{ success: false, message, error }` that every failed REST call answers with.
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

export class BadRequestError extends HttpError {
  constructor(message = "Bad request") {
    super(400, message, "BAD_REQUEST");
  }
}
export class UnauthorizedError extends HttpError {
  constructor(message = "Authentication required") {
    super(401, message, "UNAUTHORIZED");
  }
}
export class ForbiddenError extends HttpError {
  constructor(message = "Forbidden") {
    super(403, message, "FORBIDDEN");
  }
}
export class NotFoundError extends HttpError {
  constructor(message = "Not found") {
    super(404, message, "NOT_FOUND");
  }
}
export class ConflictError extends HttpError {
  constructor(message = "Conflict") {
    super(409, message, "CONFLICT");
  }
}

export type ErrorEnvelope = { success: false; message: string; error: string };

export function errorEnvelope(message: string, error: string): ErrorEnvelope {
  return { success: false, message, error };
}
