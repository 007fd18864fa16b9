// Reads the Postgres error under whatever wraps it, so repositories can turn expected constraint
// violations into results. PGlite and postgres.js shape errors differently, and Drizzle wraps both.

/** SQLSTATE codes the repositories translate; anything else is a real failure and is rethrown. */
export const PG_UNIQUE_VIOLATION = "23505";

export type PgErrorInfo = { code: string; constraint: string | undefined };

// A bound on the walk, in case some wrapper ever makes the cause chain cyclic.
const MAX_CAUSE_DEPTH = 8;

/**
 * The first error in `error`'s cause chain that carries a SQLSTATE code. Drizzle wraps driver errors
 * in DrizzleQueryError (`.cause`); PGlite names the constraint `constraint`, postgres.js `constraint_name`.
 */
export function pgErrorOf(error: unknown): PgErrorInfo | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === "object" && current !== null; depth++) {
    const code = Reflect.get(current, "code");
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      const constraint = Reflect.get(current, "constraint_name") ?? Reflect.get(current, "constraint");
      return { code, constraint: typeof constraint === "string" ? constraint : undefined };
    }
    current = Reflect.get(current, "cause");
  }
  return undefined;
}

/** True when `error` is a Postgres `code` violation, optionally of one named constraint. */
export function isPgViolation(error: unknown, code: string, constraint?: string): boolean {
  const info = pgErrorOf(error);
  if (info?.code !== code) return false;
  // A driver that omits the constraint name still counts: the code alone is the stronger signal.
  return constraint === undefined || info.constraint === undefined || info.constraint === constraint;
}
