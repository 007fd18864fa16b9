// The PGlite worker (a Bun Worker; an entrypoint of the compiled binary): owns the embedded database
// and runs every statement off the main thread, so a long one never stalls the sockets. Requests and
// answers are in pglite-protocol.ts; PGlite itself runs them one at a time, in arrival order.
import { types, type PGlite } from "@electric-sql/pglite";
import { runMigrations } from "./migrations.ts";
import { createPgliteClient, pgliteStatements } from "./pglite-client.ts";
import { toWireError, type WorkerAnswer, type WorkerRequest } from "./pglite-protocol.ts";

declare const self: Worker;

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
      return { origin: created.origin };
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
      return runMigrations({
        inTransaction: (work) => db.transaction((tx) => work(async (text) => (await tx.query<Record<string, unknown>>(text)).rows)),
      });
    }
    case "close": {
      const closing = client;
      client = undefined;
      await closing?.close();
      return null;
    }
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(
    (result) => self.postMessage({ id: request.id, ok: true, result } satisfies WorkerAnswer),
    (error: unknown) => self.postMessage({ id: request.id, ok: false, error: toWireError(error) } satisfies WorkerAnswer),
  );
};
