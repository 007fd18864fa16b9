// Database factory: PGlite (embedded; a data directory, or in memory for tests) or Postgres through
// postgres.js when a URL is given. Both yield the same Drizzle type, so repositories are written once.
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { mkdirSync } from "node:fs";
import postgres from "postgres";
import { loadPgliteAssets } from "./pglite-assets.ts";
import * as schema from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseOptions =
  | { driver: "postgres"; url: string; maxConnections?: number }
  /** dataDir undefined: an in-memory database (tests). */
  | { driver: "pglite"; dataDir?: string };

export type Database = {
  db: Db;
  driver: DatabaseOptions["driver"];
  /** Round-trips a trivial query; rejects when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.driver === "postgres") {
    // onnotice: postgres.js logs NOTICEs (e.g. "schema already exists") to stdout by default.
    const client = postgres(options.url, { max: options.maxConnections ?? 10, onnotice: () => {} });
    const db: Db = drizzlePostgres(client, { schema });
    return {
      db,
      driver: "postgres",
      ping: async () => void (await client`select 1`),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir: options.dataDir, ...(await loadPgliteAssets()) });
  const db: Db = drizzlePglite(client, { schema });
  return {
    db,
    driver: "pglite",
    ping: async () => void (await client.query("select 1")),
    close: () => client.close(),
  };
}

/** Rows of a raw `db.execute` result: PGlite wraps them in `{rows}`, postgres.js returns the array. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

export { schema, sql };
