// Database factory: PGlite (embedded; a data directory, or in memory for tests) or Postgres through
// postgres.js when a URL is given. Both yield the same Drizzle type, so repositories are written once.
// Each driver is imported only when chosen: a server on Postgres never loads PGlite, and the other way.
// A PGlite data directory is locked first: one process per directory (data-dir-lock.ts).
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { StartupPhase } from "../lib/startup-trace.ts";
import { lockDataDirectory } from "./data-dir-lock.ts";
import type { MigrationReport } from "./migrations.ts";
import * as schema from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Postgres' timeouts (config.ts documents them). */
export type PostgresTimeouts = { connectTimeoutMs: number; statementTimeoutMs: number; idleTimeoutMs: number };

export type DatabaseOptions =
  | { driver: "postgres"; url: string; maxConnections?: number; timeouts: PostgresTimeouts }
  /**
   * dataDir undefined: an in-memory database (tests). A new database starts from the shipped
   * snapshot (src/db/pglite-snapshot.ts) unless `snapshot` is false (then PGlite runs initdb).
   * A data directory's database runs in a worker thread unless `inWorker` is false.
   */
  | { driver: "pglite"; dataDir?: string; snapshot?: boolean; inWorker?: boolean };

/** Where an opened PGlite database came from: the snapshot, a directory in use, or initdb. */
export type DatabaseOrigin = "snapshot" | "existing" | "initdb";

/** A statement with one JSON parameter ($1), run many times: answers its rows as objects. */
export type JsonStatement = (json: string) => Promise<Record<string, unknown>[]>;

export type Database = {
  db: Db;
  driver: DatabaseOptions["driver"];
  /**
   * `text` (taking one JSON parameter, $1) prepared once per connection, for hot statements:
   * planning a large statement costs more than running it, and more still in PGlite's wasm.
   */
  jsonStatement(name: string, text: string): JsonStatement;
  /** Applies the migrations this build carries (src/db/migrate.ts), once, with a lock. */
  migrate(): Promise<MigrationReport>;
  /** Round-trips a trivial query; rejects when the database is unreachable or takes over `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /**
   * Destroys the connections that have heard nothing from the database since `since` (Date.now() ms),
   * so new ones replace them; answers how many (PGlite has none to replace: 0).
   */
  replaceSilentConnections(since: number, why: string): number;
  /** Lets statements in flight finish for up to `timeoutMs`, then ends them; resolves by then. */
  close(timeoutMs?: number): Promise<void>;
  /** The pool at this moment (metrics): connections open, the most it opens, requests queued (PGlite's worker). */
  stats(): PoolStats;
  /** PGlite only: how the data directory came to be (Postgres: undefined). */
  origin?: DatabaseOrigin;
  /** PGlite in its worker: when each step of the open ended (epoch ms), for the start-up debug log. */
  startupPhases?: readonly StartupPhase[];
};

/** `queued` is known for the PGlite worker only: postgres.js does not tell how many statements wait. */
export type PoolStats = { driver: DatabaseOptions["driver"]; open: number; max: number; queued: number | undefined };

type DatabaseConfig = {
  databaseUrl: string | undefined;
  dataDir: string;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  dbIdleTimeoutMs: number;
};

/** The database a configuration names: Postgres when DATABASE_URL is set, else PGlite in DATA_DIR. */
export function databaseOptionsOf(config: DatabaseConfig): DatabaseOptions {
  if (!config.databaseUrl) return { driver: "pglite", dataDir: config.dataDir };
  const timeouts = { connectTimeoutMs: config.dbConnectTimeoutMs, statementTimeoutMs: config.dbStatementTimeoutMs, idleTimeoutMs: config.dbIdleTimeoutMs };
  return { driver: "postgres", url: config.databaseUrl, timeouts };
}

/**
 * Opens the database. A PGlite data directory is locked before anything else happens (synchronously,
 * at the call): it rejects with DataDirectoryInUseError when another process holds it.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.driver === "postgres") return (await import("./open-postgres.ts")).openPostgres(options);
  const lock = options.dataDir === undefined ? undefined : lockDataDirectory(options.dataDir);
  try {
    const snapshot = options.snapshot ?? true;
    // PGlite's wasm runs on whatever thread calls it: in a worker, a long statement never stalls the
    // sockets served by the main thread.
    const database =
      options.dataDir !== undefined && (options.inWorker ?? true)
        ? await (await import("./pglite-worker-client.ts")).openPgliteInWorker(options.dataDir, snapshot)
        : await (await import("./open-pglite.ts")).openPglite(options.dataDir, snapshot);
    if (!lock) return database;
    return {
      ...database,
      async close(timeoutMs) {
        try {
          await database.close(timeoutMs);
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** Rows of a raw `db.execute` result: PGlite wraps them in `{rows}`, postgres.js returns the array. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

export { schema, sql };
