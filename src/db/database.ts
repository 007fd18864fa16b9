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
      // postgres.js names and caches prepared statements per connection by itself.
      jsonStatement: (_name, text) => async (json) => client.unsafe(text, [json], { prepare: true }),
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
    jsonStatement: pgliteStatements(client),
    ping: async () => void (await client.query("select 1")),
    close: () => client.close(),
  };
}

/**
 * PGlite plans every query it is given (it keeps no named statements for the extended protocol), so
 * a hot statement is PREPAREd once per instance and EXECUTEd with its JSON argument as a literal: the
 * argument is JSON we serialized, and in a standard-conforming string only a single quote needs doubling.
 */
function pgliteStatements(client: PGlite): Database["jsonStatement"] {
  const prepared = new Map<string, { text: string; ready: Promise<void> }>();
  const prepare = async (name: string, text: string) => {
    const { rows } = await client.query<{ standard_conforming_strings: string }>("show standard_conforming_strings");
    if (rows[0]?.standard_conforming_strings !== "on") throw new Error("PGlite must run with standard_conforming_strings = on");
    await client.exec(`prepare ${name}(json) as ${text}`);
  };
  return (name, text) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid statement name: ${name}`);
    return async (json) => {
      let entry = prepared.get(name);
      if (entry && entry.text !== text) throw new Error(`statement ${name} is already prepared with another text`);
      if (!entry) {
        entry = { text, ready: prepare(name, text) };
        prepared.set(name, entry);
        // A failed PREPARE (the database was closing, say) is tried again by the next call.
        entry.ready.catch(() => prepared.delete(name));
      }
      await entry.ready;
      const literal = `'${json.replaceAll("'", "''")}'`;
      return (await client.query<Record<string, unknown>>(`execute ${name}(${literal})`)).rows;
    };
  };
}

/** Rows of a raw `db.execute` result: PGlite wraps them in `{rows}`, postgres.js returns the array. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

export { schema, sql };
