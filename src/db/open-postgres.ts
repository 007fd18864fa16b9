// Opens PostgreSQL through postgres.js, for DATABASE_URL: a connection pool behind Drizzle, with the
// timeouts that keep a dead or wedged database from holding anyone for long (connect, statement,
// idle), connections whose silence is watched (pg-sockets.ts), and a connection of its own for the
// health probe, so the probe never queues behind the pool's work; migrations get one of their own too.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { withDeadline } from "../lib/deadline.ts";
import type { Database, Db, PostgresTimeouts } from "./database.ts";
import type { Migration } from "./migration-files.ts";
import { embeddedMigrations, runMigrations, type MigrationReport } from "./migrations.ts";
import { createPgSession } from "../lib/pg-session.ts";
import { reconnectBackoff } from "../lib/reconnect-backoff.ts";
import { outageCodeOf, outageError } from "./outage.ts";
import { createPgSockets } from "./pg-sockets.ts";
import * as schema from "./schema.ts";

export type PostgresOptions = { url: string; maxConnections?: number; timeouts: PostgresTimeouts };


/** The settings every client of the application database shares (pool, health probe, migrations). */
function clientSettings(timeouts: PostgresTimeouts) {
  return {
    // postgres.js logs NOTICEs (e.g. "schema already exists") to stdout by default.
    onnotice: () => {},
    connect_timeout: timeouts.connectTimeoutMs / 1000,
    idle_timeout: timeouts.idleTimeoutMs === 0 ? undefined : timeouts.idleTimeoutMs / 1000,
    backoff: reconnectBackoff,
    // No array-type lookup on each new connection: postgres.js runs it from its socket handler
    // without handling its failure, so a connection closed or ended during it (a close, an outage)
    // left an unhandled rejection. The server passes and reads no arrays.
    fetch_types: false,
    // Postgres cancels a statement that runs longer (SQLSTATE 57014): a lock wait or a runaway query
    // fails its one caller instead of holding a connection.
    connection: { application_name: "studyconnect", statement_timeout: timeouts.statementTimeoutMs },
  };
}

/**
 * Applies `migrations` in one transaction on a connection of its own (named studyconnect-migrate),
 * not through Drizzle's transaction: postgres.js' begin() under it crashes the process when the
 * connection dies mid-transaction (src/lib/pg-session.ts). Then that connection closes.
 */
export async function migratePostgres(url: string, timeouts: PostgresTimeouts, migrations: Migration[] = embeddedMigrations): Promise<MigrationReport> {
  const settings = clientSettings(timeouts);
  const session = createPgSession(url, { ...settings, connection: { ...settings.connection, application_name: "studyconnect-migrate" } });
  try {
    return await runMigrations({ inTransaction: (work) => session.transaction((sql) => work(async (text) => await sql.unsafe(text))) }, migrations);
  } finally {
    await session.end(1);
  }
}

export function openPostgres({ url, maxConnections = 10, timeouts }: PostgresOptions): Database {
  const sockets = createPgSockets();
  const settings = clientSettings(timeouts);
  // `socket` is documented by postgres.js (README "Custom socket") but missing from its types.
  const poolOptions: postgres.Options<Record<string, postgres.PostgresType>> = Object.assign(
    { ...settings, max: maxConnections },
    { socket: sockets.open },
  );
  const client = postgres(url, poolOptions);
  const db: Db = drizzle(client, { schema });

  // The probe's own connection; replaced after any failure, so a wedged one is never asked twice.
  let probe: postgres.Sql | undefined;
  let closed = false;
  const probeOnce = async (timeoutMs: number): Promise<void> => {
    // A probe cut short by close() must not open a client of its own after it (nothing would end it).
    if (closed) throw outageError("DATABASE_CLOSED", "the database was closed");
    const current = (probe ??= postgres(url, {
      ...settings,
      max: 1,
      connect_timeout: timeoutMs / 1000,
      connection: { application_name: "studyconnect-health", statement_timeout: timeoutMs },
    }));
    try {
      await withDeadline(current`select 1`, timeoutMs, () => outageError("STATEMENT_TIMEOUT", `no answer to the health probe within ${timeoutMs} ms`));
    } catch (error) {
      if (probe === current) probe = undefined;
      void current.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
  };
  const ping = async (timeoutMs = timeouts.connectTimeoutMs): Promise<void> => {
    const started = Date.now();
    try {
      await probeOnce(timeoutMs);
    } catch (error) {
      // The probe's connection may have died alone (an administrator ended its backend): one more
      // try on a new connection, in the time left, tells that from a database that cannot answer.
      const left = timeoutMs - (Date.now() - started);
      if (outageCodeOf(error) === "STATEMENT_TIMEOUT" || left < 50) throw error;
      await probeOnce(left);
    }
  };

  return {
    db,
    driver: "postgres",
    // postgres.js names and caches prepared statements per connection by itself.
    jsonStatement: (_name, text) => async (json) => client.unsafe(text, [json], { prepare: true }),
    migrate: () => migratePostgres(url, timeouts),
    ping,
    replaceSilentConnections: (since, why) => sockets.replaceSilent(since, why),
    // The pool's connections are the sockets opened through pg-sockets.ts (the probe has its own).
    stats: () => ({ driver: "postgres", open: sockets.count, max: maxConnections, queued: undefined }),
    async close(timeoutMs = 5000) {
      closed = true;
      // Statements in flight get until the timeout; then their connections are destroyed. A probe in
      // flight is cancelled at once: its caller is told (DATABASE_CLOSED once it would try again).
      const closing = [client.end({ timeout: timeoutMs / 1000 })];
      if (probe) closing.push(probe.end({ timeout: 0 }));
      probe = undefined;
      await Promise.all(closing);
    },
  };
}
