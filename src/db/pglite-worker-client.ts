// The main thread's side of the PGlite worker: a Database whose every statement is a message to
// the worker (pglite-worker.ts). Drizzle talks to it through its proxy driver; the hot JSON
// statements and migrations are requests of their own.
import { drizzle } from "drizzle-orm/pg-proxy";
import type { Database, Db } from "./database.ts";
import { withDeadline } from "../lib/deadline.ts";
import type { MigrationReport } from "./migrations.ts";
import { outageError } from "./outage.ts";
import { usePgliteWasm } from "./pglite-assets.ts";
import { fromWireError, type WorkerAnswer, type WorkerRequest, type WorkerResult } from "./pglite-protocol.ts";
import { takePgliteWorker } from "./pglite-worker-start.ts";
import * as schema from "./schema.ts";

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export async function openPgliteInWorker(dataDir: string, snapshot: boolean): Promise<Database> {
  const worker = takePgliteWorker();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;

  worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
    const answer = event.data;
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (answer.ok) waiting.resolve(answer.result);
    else waiting.reject(fromWireError(answer.error));
  };
  // A worker that dies (or was closed) takes every request in flight, and every later one, with it.
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiting of pending.values()) waiting.reject(failure);
    pending.clear();
  };
  worker.onerror = (event: ErrorEvent) => fail(outageError("DATABASE_WORKER_EXITED", `the PGlite worker failed: ${event.message}`));
  worker.addEventListener("close", () => fail(outageError("DATABASE_WORKER_EXITED", "the PGlite worker has exited")));

  function call<Op extends WorkerRequest["op"]>(request: DistributiveOmit<Extract<WorkerRequest, { op: Op }>, "id">): Promise<WorkerResult[Op]> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  let opened: WorkerResult["open"];
  try {
    opened = await call<"open">({ op: "open", dataDir, snapshot });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  // Kept for the workers (and the in-thread databases) this process opens later.
  usePgliteWasm(opened.module);

  const db: Db = drizzle(
    async (sql, params, method) => {
      const { rows } = await call<"query">({ op: "query", sql, params, rowMode: method === "all" ? "array" : "object" });
      return { rows };
    },
    { schema },
  );

  let closed = false;
  return {
    db,
    driver: "pglite",
    origin: opened.origin,
    startupPhases: opened.phases,
    jsonStatement: (name, text) => async (json) => (await call<"json">({ op: "json", name, text, json })).rows,
    migrate: (): Promise<MigrationReport> => call<"migrate">({ op: "migrate" }),
    async ping(timeoutMs) {
      const answered = call<"query">({ op: "query", sql: "select 1", params: [], rowMode: "array" });
      await (timeoutMs === undefined ? answered : withDeadline(answered, timeoutMs));
    },
    // One thread, nothing to replace: a statement that holds it ends, or the deadline answers its callers.
    replaceSilentConnections: () => 0,
    // One session in the worker; the requests waiting for it are those not yet answered.
    stats: () => ({ driver: "pglite", open: failure ? 0 : 1, max: 1, queued: pending.size }),
    async close(timeoutMs = 5000) {
      if (closed) return;
      closed = true;
      try {
        // A statement still running (or a wedged worker) gets until the timeout; then the worker is
        // terminated, which leaves the data directory as a crash would: PGlite recovers it at the next start.
        await withDeadline(call<"close">({ op: "close" }), timeoutMs).catch(() => {});
      } finally {
        fail(outageError("DATABASE_CLOSED", "the database is closed"));
        worker.terminate();
      }
    },
  };
}
