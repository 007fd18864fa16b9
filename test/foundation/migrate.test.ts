// The embedded migrator: applies every migration once, reports what is pending, and on Postgres
// lets two nodes migrate the same fresh database at once without racing (advisory lock), and fails
// cleanly (no uncaught error) when its connection dies mid-migration.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDatabase, rowsOf, sql } from "../../src/db/database.ts";
import { embeddedMigrations, migrate } from "../../src/db/migrate.ts";
import { MIGRATION_LOCK_KEY } from "../../src/db/migrations.ts";
import { migratePostgres } from "../../src/db/open-postgres.ts";
import { connectionLost } from "../../src/lib/pg-session.ts";
import { backendWaitingOnLock, holdLock } from "../support/fault-database.ts";
import { rejectionOf } from "../support/promises.ts";
import { pendingMigrations } from "../support/migrations.ts";
import { postgresOptions } from "../support/database.ts";
import { createThrowawayPostgres } from "../support/throwaway-postgres.ts";

/** A new, empty Postgres database beside `url`'s (named after `suffix`), its options, and its drop. */
async function throwawayPostgres(url: string, suffix: string) {
  const own = await createThrowawayPostgres(url, `studyconnect_migrate_${process.pid}_${Date.now().toString(36)}_${suffix}`);
  const options = postgresOptions(own.url, 1);
  if (options.driver !== "postgres") throw new Error("expected Postgres options");
  return { url: own.url, options, drop: own.drop };
}

describe("migrate", () => {
  test("the build embeds the migrations from drizzle/", () => {
    expect(embeddedMigrations.length).toBeGreaterThan(0);
    expect(embeddedMigrations[0]?.tag).toMatch(/^0000_/);
    expect(embeddedMigrations[0]?.statements.some((s) => s.startsWith('CREATE TABLE "users"'))).toBe(true);
  });

  test("on a fresh PGlite database: everything pending, applied once, then nothing", async () => {
    // A fresh database without initdb in wasm (seconds): a copy of the shipped snapshot with every
    // schema the migrations made dropped, which is what initdb leaves (an empty public schema).
    const dir = mkdtempSync(join(tmpdir(), "studyconnect-migrate-test-"));
    const database = await openDatabase({ driver: "pglite", dataDir: join(dir, "data"), inWorker: false });
    try {
      await database.db.execute(sql`drop schema drizzle cascade`);
      await database.db.execute(sql`drop schema public cascade`);
      await database.db.execute(sql`create schema public`);
      const tables = sql`select count(*)::int as n from pg_tables where schemaname in ('public', 'drizzle')`;
      expect(rowsOf<{ n: number }>(await database.db.execute(tables))).toEqual([{ n: 0 }]);

      expect(await pendingMigrations(database.db)).toBe(embeddedMigrations.length);
      const first = await migrate(database.db);
      expect(first.applied).toEqual(embeddedMigrations.map((m) => m.tag));
      const second = await migrate(database.db);
      expect(second.applied).toEqual([]);
      expect(await pendingMigrations(database.db)).toBe(0);
      expect(rowsOf<{ n: number }>(await database.db.execute(tables))[0]?.n).toBeGreaterThan(0);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("in the PGlite worker, a data directory an older build left gets the newer migrations at the next open, once", async () => {
    // The worker checks the migration table when it opens a directory and skips the migration run
    // when nothing is pending: the check must see a directory that is behind.
    const dir = mkdtempSync(join(tmpdir(), "studyconnect-migrate-test-"));
    const dataDir = join(dir, "data");
    const newest = embeddedMigrations.at(-1);
    if (!newest?.tag.startsWith("0002_")) throw new Error("this test undoes migration 0002: update it to undo the newest one");
    try {
      // What the build before 0002 left: its tables absent, its row not in the migration table.
      const old = await openDatabase({ driver: "pglite", dataDir });
      await old.db.execute(sql`drop table cluster_presence, cluster_nodes, cluster_clock`);
      await old.db.execute(sql.raw(`delete from drizzle.__drizzle_migrations where created_at = ${newest.createdAt}`));
      expect(await pendingMigrations(old.db)).toBe(1);
      await old.close();

      const upgraded = await openDatabase({ driver: "pglite", dataDir });
      try {
        expect((await upgraded.migrate()).applied).toEqual([newest.tag]);
        expect((await upgraded.migrate()).applied).toEqual([]);
        expect(await pendingMigrations(upgraded.db)).toBe(0);
        const tables = await upgraded.db.execute(sql`select to_regclass('cluster_presence') is not null as present`);
        expect(rowsOf<{ present: boolean }>(tables)).toEqual([{ present: true }]);
      } finally {
        await upgraded.close();
      }
      const again = await openDatabase({ driver: "pglite", dataDir });
      try {
        expect(await again.migrate()).toEqual({ applied: [], total: embeddedMigrations.length });
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const url = process.env.DATABASE_URL;
  test.skipIf(!url)("on Postgres two nodes migrating one fresh database together apply each migration once", async () => {
    const { url: targetUrl, drop } = await throwawayPostgres(url ?? "", "together");
    const [a, b] = await Promise.all([openDatabase(postgresOptions(targetUrl, 2)), openDatabase(postgresOptions(targetUrl, 2))]);
    try {
      const reports = await Promise.all([a.migrate(), b.migrate()]);
      const applied = reports.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(embeddedMigrations.map((m) => m.tag).sort());
      expect(await pendingMigrations(a.db)).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await drop();
    }
  });

  test.skipIf(!url)("on Postgres a migration may run past DB_STATEMENT_TIMEOUT_MS (it is for requests)", async () => {
    const { options, drop } = await throwawayPostgres(url ?? "", "slow");
    try {
      const slow = { tag: "9999_slow", hash: "abc123", createdAt: 4_102_444_800_000, statements: ["select pg_sleep(0.5)"] };
      const report = await migratePostgres(options.url, { ...options.timeouts, statementTimeoutMs: 200 }, [...embeddedMigrations, slow]);
      expect(report.applied).toContain("9999_slow");
    } finally {
      await drop();
    }
  });

  test.skipIf(!url)("on Postgres a migration whose backend is ended fails with the connection's error, and the next run applies everything", async () => {
    const { url: targetUrl, options, drop } = await throwawayPostgres(url ?? "", "ended");
    // Holds the migration lock, so the migration waits inside its transaction until its backend is
    // ended (through `inside`, on the same database).
    const inside = postgres(targetUrl, { max: 1, onnotice: () => {} });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    const lock = await holdLock(targetUrl, "select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      const migrating = migratePostgres(options.url, options.timeouts);
      const pid = await backendWaitingOnLock(inside, "studyconnect-migrate");
      await inside`select pg_terminate_backend(${pid})`;
      expect(connectionLost(await rejectionOf(migrating))).toBe(true);
      await lock.release();
      const report = await migratePostgres(options.url, options.timeouts);
      expect(report.applied).toEqual(embeddedMigrations.map((m) => m.tag));
      expect(uncaught).toEqual([]);
    } finally {
      await lock.release();
      process.off("uncaughtException", onUncaught);
      await inside.end({ timeout: 1 });
      await drop();
    }
  });
});
