// Reading untrusted request input: JSON bodies and query strings through valibot schemas. Any
// failure becomes a 400 naming the field, before a use case runs.
import type { Context } from "hono";
import * as v from "valibot";
import { BadRequestError } from "./errors.ts";

type Schema = v.GenericSchema<unknown, unknown>;

/** The body parsed as JSON and checked against `schema`; unknown keys are dropped by v.object. */
export async function readJsonBody<S extends Schema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError("Malformed JSON in request body");
  }
  // v.object accepts arrays (they are objects); no request body here is one.
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequestError("request body must be a JSON object");
  return parseInput(schema, body, "request body");
}

export function readQuery<S extends Schema>(c: Context, schema: S): v.InferOutput<S> {
  return parseInput(schema, c.req.query(), "query string");
}

function parseInput<S extends Schema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const [issue] = result.issues;
  const field = v.getDotPath(issue);
  if (field === null) throw new BadRequestError(`${what}: ${issue.message}`);
  throw new BadRequestError(issue.input === undefined ? `${field} is required` : `${field} ${issue.message}`);
}
