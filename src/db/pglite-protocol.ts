// Messages between the main thread and the PGlite worker (pglite-worker.ts): requests carry an id,
// answers carry it back with a result or a plain error object (Errors lose their fields in transit).
import type { StartupPhase } from "../lib/startup-trace.ts";
import type { DatabaseOrigin } from "./database.ts";
import type { MigrationReport } from "./migrations.ts";

export type WorkerRequest =
  | { id: number; op: "open"; dataDir: string; snapshot: boolean }
  /** rowMode "array": Drizzle maps positional rows itself; "object": raw `db.execute` results. */
  | { id: number; op: "query"; sql: string; params: unknown[]; rowMode: "array" | "object" }
  | { id: number; op: "json"; name: string; text: string; json: string }
  | { id: number; op: "migrate" }
  | { id: number; op: "close" };

/**
 * The first message to a new worker, always, before any request: PGlite's wasm compiled by an earlier
 * worker of this process, or none (the worker compiles it). A worker given one skips the compile and
 * shares the code JavaScriptCore tiered up for it (tests open many databases in one process).
 */
export type WorkerWasm = { op: "wasm"; module: WebAssembly.Module | undefined };

export type WorkerResult = {
  /**
   * phases: when each step of the open ended (epoch ms), for the start-up debug log; module: the
   * compiled wasm, for the process's next worker.
   */
  open: { origin: DatabaseOrigin; phases: StartupPhase[]; module: WebAssembly.Module };
  query: { rows: unknown[] };
  json: { rows: Record<string, unknown>[] };
  migrate: MigrationReport;
  close: null;
};

/** A Postgres error's fields that callers read (SQLSTATE code, constraint), kept across threads. */
export type WireError = {
  name: string;
  message: string;
  code?: string;
  constraint?: string;
  detail?: string;
  severity?: string;
};

export type WorkerAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const wire: WireError = { name: error.name, message: error.message };
  for (const key of ["code", "constraint", "detail", "severity"] as const) {
    const value = Reflect.get(error, key);
    if (typeof value === "string") wire[key] = value;
  }
  return wire;
}

export function fromWireError(wire: WireError): Error {
  const { name, message, ...fields } = wire;
  const error = Object.assign(new Error(message), fields);
  error.name = name;
  return error;
}
