// Screens ids before they reach a uuid column: Postgres rejects malformed input with 22P02 instead of
// matching nothing, and lookups by an untrusted id should simply find nothing.

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
