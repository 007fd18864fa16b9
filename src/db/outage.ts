// Which database failures are outages (the database could not answer: unreachable, restarting, too
// slow, overloaded) rather than a bad statement: those are answered UNAVAILABLE, and make the server
// check the database's health at once. Codes come from Postgres (SQLSTATE), postgres.js, the system
// and this server's own drivers.
import { errorCodes } from "../lib/error-cause.ts";

// 08: connection exception; 53: insufficient resources (too many connections, out of memory);
// 57P0x: the server is shutting down, crashed, starting, or the database was dropped; 57014: a
// statement cancelled, which here means it ran past statement_timeout.
const OUTAGE_SQLSTATE = /^(08...|53...|57P0.|57014)$/;

const OUTAGE_CODES = new Set([
  // postgres.js
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // the system, reaching the server
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  // this server: a silent connection replaced (pg-sockets.ts), the PGlite worker gone or closed
  "STATEMENT_TIMEOUT",
  "DATABASE_CLOSED",
  "DATABASE_WORKER_EXITED",
]);

/** The code that makes `error` an outage, or undefined when it is an ordinary failure. */
export function outageCodeOf(error: unknown): string | undefined {
  return errorCodes(error).find((code) => OUTAGE_CODES.has(code) || OUTAGE_SQLSTATE.test(code));
}

/** An error carrying one of this server's outage codes. */
export function outageError(code: "STATEMENT_TIMEOUT" | "DATABASE_CLOSED" | "DATABASE_WORKER_EXITED", message: string): Error {
  return Object.assign(new Error(message), { code });
}
