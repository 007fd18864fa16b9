// Postgres cluster test support: whether Postgres is there (tests skip with one line when not), and
// nodes of OUR server with the Postgres adapter under a channel prefix and attachment table of the test's own.
import postgres from "postgres";
import { createPostgresAdapter, PostgresAdapter, type PostgresAdapterOptions } from "../../src/adapter/index.ts";
import { Server, type ServerOptions } from "../../src/socketio/index.ts";
import { postgresOrSkip } from "../support/postgres-probe.ts";
import { serveNode, type ServedNode } from "./support.ts";

export const POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

export function pgClient(): postgres.Sql {
  return postgres(POSTGRES_URL, { max: 4, onnotice: () => {} });
}

let testSchema: Promise<void> | undefined;

/** True when Postgres answers (else prints the one line saying why tests skip), with the test schema made. */
export async function postgresAvailable(suite: string): Promise<boolean> {
  if (!(await postgresOrSkip(suite, POSTGRES_URL))) return false;
  // Test tables live in a schema of their own: a test that drops and recreates "public" cannot take them.
  testSchema ??= (async () => {
    const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      await sql`create schema if not exists sio_test`.catch((error: unknown) => {
        // Another run created it at the same moment.
        if (!(typeof error === "object" && error !== null && "code" in error && error.code === "23505")) throw error;
      });
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  await testSchema;
  return true;
}

export type TestCluster = { channelPrefix: string; tableName: string; sessionTableName: string };

/** A channel prefix, an attachment table and a session table no other test run shares (runs overlap on one Postgres); short, as channel names must be. */
export function uniqueCluster(name: string): TestCluster {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
  return { channelPrefix: `t-${name.slice(0, 20)}-${id}`, tableName: `sio_test.att_${id}`, sessionTableName: `sio_test.ses_${id}` };
}

/** Drops a cluster's attachment table, and its session tables when given (created only with recovery on). */
export async function dropTable(tableName: string, sessionTableName?: string): Promise<void> {
  await dropOnOneConnection(sessionTableName ? [tableName, ...sessionTablesOf(sessionTableName)] : [tableName]);
}

/** Drops the session tables of connection state recovery (`<name>` and `<name>_leases`). */
export async function dropSessionTables(sessionTableName: string): Promise<void> {
  await dropOnOneConnection(sessionTablesOf(sessionTableName));
}

const sessionTablesOf = (name: string) => [name, `${name}_leases`];

async function dropOnOneConnection(tables: string[]): Promise<void> {
  const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP TABLE IF EXISTS ${tables.join(", ")}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export type PgNode = ServedNode & { sql: postgres.Sql; adapter: PostgresAdapter };

/** Our Server with the Postgres adapter of `cluster`, served on port 0, listening before it is handed out. */
export async function startPgNode(
  cluster: { channelPrefix: string; tableName: string; sessionTableName?: string },
  options: Partial<PostgresAdapterOptions> = {},
  setup: (io: Server) => void = () => {},
  serverOptions: Partial<ServerOptions> = {},
): Promise<PgNode> {
  const sql = pgClient();
  const io = new Server({ pingInterval: 10_000, pingTimeout: 5_000, ...serverOptions, adapter: createPostgresAdapter(sql, { ...cluster, requestsTimeout: 2000, ...options }) });
  setup(io);
  const adapter = io.of("/").adapter;
  if (!(adapter instanceof PostgresAdapter)) throw new Error("the main namespace has no Postgres adapter");
  await adapter.ready;
  const served = serveNode(io, async () => {
    await adapter.drained();
    await sql.end({ timeout: 2 });
  });
  return { ...served, sql, adapter };
}

/** Waits until every node counts `count` nodes (heartbeats exchanged). */
export async function clusterFormed(nodes: readonly { adapter: PostgresAdapter }[], count = nodes.length): Promise<void> {
  await Promise.all(nodes.map(({ adapter }) => adapter.whenServerCount(count)));
}
