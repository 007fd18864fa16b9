// What went wrong under the wrappers: an error's cause chain (Drizzle wraps driver errors as
// "Failed query: …"), read for the codes in it (SQLSTATE, driver or system codes) and described in
// one line for logs, never with the statement's parameters (they carry what users wrote).

// A bound on the walk, in case some wrapper ever makes the cause chain cyclic.
const MAX_DEPTH = 8;
const MAX_PART = 160;

/** The errors of the chain, outermost first. */
function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  for (let depth = 0; depth < MAX_DEPTH && current !== undefined && current !== null; depth++) {
    chain.push(current);
    current = typeof current === "object" ? Reflect.get(current, "cause") : undefined;
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = Reflect.get(error, "code");
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** Every `code` in `error`'s cause chain, outermost first. */
export function errorCodes(error: unknown): string[] {
  return chainOf(error).flatMap((e) => codeOf(e) ?? []);
}

/** One line: each error of the chain as `[code] message`, outermost first, joined by " <- ". */
export function describeError(error: unknown): string {
  return chainOf(error)
    .map((e) => {
      const raw = e instanceof Error ? e.message : String(e);
      // "Failed query: <sql>\nparams: <values>": the values stay out of logs.
      const message = raw.replace(/\bparams:[\s\S]*$/, "").replace(/\s+/g, " ").trim().slice(0, MAX_PART);
      const code = codeOf(e);
      return code !== undefined && !message.includes(code) ? `[${code}] ${message}` : message;
    })
    .join(" <- ");
}
