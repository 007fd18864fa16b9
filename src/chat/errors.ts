// Domain errors: named classes carrying one code of the wire vocabulary (DESIGN.md ack codes, plus
// CONFLICT). Edges translate them once: http to a status table, the gateway to ack errors.
export const ERROR_CODES = ["INVALID", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

export class InvalidInputError extends DomainError {
  override name = "InvalidInputError";
  readonly code = "INVALID";
  constructor(
    message: string,
    /** The input field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** One message for an unknown email and a wrong password, so login reveals nothing about accounts. */
export class InvalidCredentialsError extends DomainError {
  override name = "InvalidCredentialsError";
  readonly code = "UNAUTHORIZED";
  constructor() {
    super("Invalid email or password");
  }
}

export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  readonly code = "FORBIDDEN";
}

/** Also what a private room is to someone outside it: its existence is not confirmed. */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  readonly code = "NOT_FOUND";
}

/** Too many attempts: `retryAfterMs` says when trying again makes sense (HTTP: Retry-After). */
export class RateLimitedError extends DomainError {
  override name = "RateLimitedError";
  readonly code = "RATE_LIMITED";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export class DuplicateEmailError extends DomainError {
  override name = "DuplicateEmailError";
  readonly code = "CONFLICT";
  constructor() {
    super("An account with this email already exists");
  }
}

/**
 * The store cannot answer now (unreachable, too slow, or the server is shutting down): nothing was
 * decided, and the same request may work a moment later. `cause` keeps what the store said, for logs.
 */
export class UnavailableError extends DomainError {
  override name = "UnavailableError";
  readonly code = "UNAVAILABLE";
  constructor(message = "The service is temporarily unavailable; try again shortly", options?: { cause?: unknown }) {
    super(message, options);
  }
}
