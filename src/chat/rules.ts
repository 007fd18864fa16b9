// The domain's input rules as checks that return a result, so the REST edge, the socket gateway and
// the use cases share one definition of a valid name, email, message or page. `orInvalid` is how a
// use case applies one: a failed check becomes an InvalidInputError naming the field.
import { InvalidInputError } from "./errors.ts";

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export const LIMITS = {
  emailMax: 254,
  passwordMin: 8,
  passwordMax: 256,
  personNameMax: 100,
  roomNameMax: 100,
  descriptionMax: 1000,
  messageTextMax: 4000,
  clientIdMax: 128,
  historyDefault: 50,
  historyMax: 100,
} as const;

// Deliberately loose: one "@", no spaces, a dot in the domain. Deliverability is not checkable here.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(field: string, message: string): Checked<T> => ({ ok: false, field, message });

/** Length in characters (code points), so an emoji counts once; stops counting past `max`. */
function characters(text: string, max: number): number {
  // Every code point is one or two UTF-16 units: over 2·max units it cannot fit, whatever it holds.
  if (text.length > max * 2) return text.length;
  let count = 0;
  for (const _ of text) if (++count > max) break;
  return count;
}

/**
 * Trimmed text of 1..max characters without NUL (Postgres text cannot store it). A lone surrogate
 * (half of an emoji cut off) becomes U+FFFD here, as UTF-8 storage would make it anyway: what is
 * checked, stored and answered is then the same text, so a retried send still matches its first copy.
 */
export function checkText(field: string, input: unknown, max: number, { allowEmpty = false } = {}): Checked<string> {
  if (typeof input !== "string") return fail(field, `${field} must be a string`);
  const value = input.toWellFormed().trim();
  if (value.includes("\u0000")) return fail(field, `${field} must not contain NUL characters`);
  if (value === "" && !allowEmpty) return fail(field, `${field} must not be empty`);
  if (characters(value, max) > max) return fail(field, `${field} must be at most ${max} characters`);
  return ok(value);
}

export function checkEmail(input: unknown): Checked<string> {
  const text = checkText("email", input, LIMITS.emailMax);
  if (!text.ok) return text;
  return EMAIL_PATTERN.test(text.value) ? ok(text.value.toLowerCase()) : fail("email", "email must be a valid email address");
}

/** Passwords are kept exactly as typed (no trimming); only their length is bounded. */
export function checkPassword(input: unknown): Checked<string> {
  if (typeof input !== "string") return fail("password", "password must be a string");
  const length = characters(input, LIMITS.passwordMax);
  if (length < LIMITS.passwordMin) return fail("password", `password must be at least ${LIMITS.passwordMin} characters`);
  if (length > LIMITS.passwordMax) return fail("password", `password must be at most ${LIMITS.passwordMax} characters`);
  return ok(input);
}

export function checkMessageText(input: unknown): Checked<string> {
  return checkText("text", input, LIMITS.messageTextMax);
}

/** Optional idempotency key: absent (undefined or null) or 1..128 characters. */
export function checkClientId(input: unknown): Checked<string | undefined> {
  if (input === undefined || input === null) return ok(undefined);
  if (typeof input !== "string" || input.length === 0 || input.length > LIMITS.clientIdMax || input.includes("\u0000")) {
    return fail("clientId", `clientId must be a string of 1 to ${LIMITS.clientIdMax} characters`);
  }
  return ok(input);
}

export type HistoryPageInput = { before?: number | undefined; limit?: number | undefined };

/** limit: 1..100 (50 when absent); before: a positive integer message id, or absent for the newest. */
export function checkHistoryPage(input: HistoryPageInput): Checked<{ before?: number; limit: number }> {
  const limit = input.limit ?? LIMITS.historyDefault;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.historyMax) {
    return fail("limit", `limit must be an integer between 1 and ${LIMITS.historyMax}`);
  }
  if (input.before === undefined) return ok({ limit });
  if (!Number.isSafeInteger(input.before) || input.before < 1) return fail("before", "before must be a positive integer message id");
  return ok({ before: input.before, limit });
}

/** The checked value, or an InvalidInputError naming the field: how use cases apply a rule. */
export function orInvalid<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new InvalidInputError(checked.message, checked.field);
  return checked.value;
}
