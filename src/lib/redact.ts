// Keeps secrets out of logs: fields named like a secret (password, token, secret, authorization,
// cookie, …) are replaced whatever they hold, and tokens that show up inside text (a JWT, a bearer
// credential) are masked, so a careless log call cannot leak one.
import { describeError } from "./error-cause.ts";

export const REDACTED = "[redacted]";

const SECRET_KEY = /passw|passphrase|secret|token|authori[sz]ation|cookie|jwt|api[-_]?key|credential/i;
// A JWT (three base64url parts, the first a JSON header "{"…) or an Authorization credential.
const JWT = /\beyJ[\w-]*\.[\w-]+\.[\w-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[\w.~+/=-]+/gi;
const MAX_DEPTH = 4;

/** `text` with JWTs and bearer credentials masked. */
export function maskSecrets(text: string): string {
  return text.replace(JWT, REDACTED).replace(BEARER, `$1 ${REDACTED}`);
}

/**
 * A copy of a log field's value fit to write: errors become their cause chain in one line, secret
 * keys are replaced at any depth (objects and arrays, up to a bound), strings are masked.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return maskSecrets(describeError(value));
  if (typeof value === "string") return maskSecrets(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return "[…]";
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return redactFields(value as Record<string, unknown>, depth + 1);
}

/** Every field of `fields` through redactValue, a secret key's value replaced outright. */
export function redactFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(value, depth);
  return out;
}
