// One migrated database per test process: PGlite in a temporary directory started from the shipped
// snapshot by default (shared, and removed at exit), or a throwaway Postgres database when
// DATABASE_URL is set (dropped at exit; in a worker of `bun run test`, by the runner: suite-scratch.ts).
import { sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { databaseOptionsOf, openDatabase, type Database, type DatabaseOptions } from "../../src/db/database.ts";
import { noteLeftoverDatabase, scratchDirectory } from "./suite-scratch.ts";
import { createThrowawayPostgres } from "./throwaway-postgres.ts";

let shared: Promise<Database> | undefined;
let cleanup: (() => Promise<void>) | undefined;

/** The driver the suite runs on, for test names and skips. */
export const testDriver: "pglite" | "postgres" = process.env.DATABASE_URL ? "postgres" : "pglite";

/** Options for Postgres at `url`, with the configuration's default timeouts. */
export function postgresOptions(url: string, maxConnections: number): DatabaseOptions {
  const options = databaseOptionsOf(loadConfig({ DATABASE_URL: url }));
  if (options.driver !== "postgres") throw new Error(`not a Postgres URL: ${url}`);
  return { ...options, maxConnections };
}

export function testDatabase(): Promise<Database> {
  shared ??= open();
  return shared;
}

async function open(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dataDir = mkdtempSync(join(scratchDirectory() ?? tmpdir(), "studyconnect-test-db-"));
    const database = await openDatabase({ driver: "pglite", dataDir });
    await database.migrate();
    cleanup = async () => {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
    return database;
  }
  // A database of its own per test process, so parallel runs and leftovers never collide.
  const own = await createThrowawayPostgres(url, `studyconnect_test_${process.pid}_${Date.now().toString(36)}`);
  noteLeftoverDatabase(url, own.name);
  const database = await openDatabase(postgresOptions(own.url, 5));
  await database.migrate();
  cleanup = async () => {
    await database.close();
    await own.drop();
  };
  return database;
}

/** Closes the shared database (and drops a Postgres one); called once by test/support/setup.ts. */
export async function closeTestDatabase(): Promise<void> {
  if (!shared) return;
  const database = await shared;
  shared = undefined;
  if (cleanup) await cleanup();
  else await database.close();
  cleanup = undefined;
}

/** Empties every table, for tests that need a clean slate. */
export async function resetDatabase(database: Database): Promise<void> {
  await database.db.execute(
    sql`truncate users, user_presence, study_rooms, room_participants, messages restart identity cascade`,
  );
}
