// The ack envelope every client event is answered with, and the one place where an error becomes
// an ack error: domain errors keep their code and message; anything else is logged and answered
// INTERNAL without details.
import { DomainError, type ErrorCode } from "../chat/errors.ts";

export const ACK_CODES = ["INVALID", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"] as const;
export type AckCode = (typeof ACK_CODES)[number];

export type AckError = { code: AckCode; message: string };
export type AckResponse<T = unknown> = { ok: true; data: T } | { ok: false; error: AckError };
export type Ack = (response: AckResponse) => void;

// CONFLICT (a taken email) has no socket event that can raise it; should one ever, it is bad input.
const ACK_CODE_OF_DOMAIN_CODE = {
  INVALID: "INVALID",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "INVALID",
  RATE_LIMITED: "RATE_LIMITED",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
} as const satisfies Record<ErrorCode, AckCode>;

export const INTERNAL_ERROR: AckError = { code: "INTERNAL", message: "Internal error" };
/** What an event gets once a graceful shutdown has begun: nothing was done, and another node (or this one, restarted) may do it. */
export const SHUTTING_DOWN: AckError = { code: "UNAVAILABLE", message: "The server is shutting down; try again shortly" };

export const ackOk = <T>(data: T): AckResponse<T> => ({ ok: true, data });
export const ackFailure = (error: AckError): AckResponse<never> => ({ ok: false, error });

/** The ack error for a thrown value; `unexpected` is told about anything that is not a domain error. */
export function ackErrorOf(error: unknown, unexpected: (error: unknown) => void): AckError {
  if (error instanceof DomainError) return { code: ACK_CODE_OF_DOMAIN_CODE[error.code], message: error.message };
  unexpected(error);
  return INTERNAL_ERROR;
}
