// What the PGlite worker (pglite-worker.ts) does with each request: it owns the embedded database
// and runs every statement off the main thread, so a long one never stalls the sockets. Requests and
// answers are in pglite-protocol.ts; PGlite itself runs them one at a time, in arrival order.
import { types, type PGlite } from "@electric-sql/pglite";
import { embeddedMigrations, LAST_APPLIED, runMigrations } from "./migrations.ts";
import { loadPgliteWasm } from "./pglite-assets.ts";
import { createPgliteClient, pgliteStatements } from "./pglite-client.ts";
import { toWireError, type WorkerAnswer, type WorkerRequest } from "./pglite-protocol.ts";

// As drizzle-orm/pglite asks for them: dates, times and intervals as text, which Drizzle maps.
const AS_TEXT = (value: string): string => value;
const PARSERS = {
  [types.TIMESTAMP]: AS_TEXT,
  [types.TIMESTAMPTZ]: AS_TEXT,
  [types.INTERVAL]: AS_TEXT,
  [types.DATE]: AS_TEXT,
  1231: AS_TEXT, // numeric[]
  1115: AS_TEXT, // timestamp[]
  1185: AS_TEXT, // timestamptz[]
  1187: AS_TEXT, // interval[]
  1182: AS_TEXT, // date[]
};

let client: PGlite | undefined;
let statements: ReturnType<typeof pgliteStatements> | undefined;
const prepared = new Map<string, (json: string) => Promise<Record<string, unknown>[]>>();
// This build's migrations are all applied already (two queries at open, instead of the seven
// statements of a migration run at every start). The directory is locked to this process
// (data-dir-lock.ts): nothing else can change that until the database closes.
let migrated = false;
const NEWEST_MIGRATION = Math.max(0, ...embeddedMigrations.map((migration) => migration.createdAt));

/** The newest migration applied in `db`: 0 for a database never migrated (no bookkeeping table yet). */
async function lastApplied(db: PGlite): Promise<number> {
  const { rows } = await db.query<{ present: boolean }>("select to_regclass('drizzle.__drizzle_migrations') is not null as present");
  if (rows[0]?.present !== true) return 0;
  const last = await db.query<{ created_at: string | number | null }>(LAST_APPLIED);
  return Number(last.rows[0]?.created_at ?? 0);
}

function opened(): PGlite {
  if (!client) throw new Error("the PGlite worker has no open database");
  return client;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "open": {
      const created = await createPgliteClient(request.dataDir, request.snapshot);
      client = created.client;
      statements = pgliteStatements(client);
      migrated = (await lastApplied(client)) >= NEWEST_MIGRATION;
      return { origin: created.origin, phases: created.phases, module: await loadPgliteWasm() };
    }
    case "query": {
      const result = await opened().query(request.sql, request.params, { rowMode: request.rowMode, parsers: PARSERS });
      return { rows: result.rows };
    }
    case "json": {
      if (!statements) throw new Error("the PGlite worker has no open database");
      let statement = prepared.get(request.name);
      if (!statement) prepared.set(request.name, (statement = statements(request.name, request.text)));
      return { rows: await statement(request.json) };
    }
    case "migrate": {
      const db = opened();
      if (migrated) return { applied: [], total: embeddedMigrations.length };
      const report = await runMigrations({
        inTransaction: (work) => db.transaction((tx) => work(async (text) => (await tx.query<Record<string, unknown>>(text)).rows)),
      });
      migrated = true;
      return report;
    }
    case "close": {
      const closing = client;
      client = undefined;
      migrated = false;
      await closing?.close();
      return null;
    }
  }
}

/** Runs `request` and posts its answer (with its id) through `post`. */
export function serveRequest(request: WorkerRequest, post: (answer: WorkerAnswer) => void): void {
  handle(request).then(
    (result) => post({ id: request.id, ok: true, result }),
    (error: unknown) => post({ id: request.id, ok: false, error: toWireError(error) }),
  );
}
