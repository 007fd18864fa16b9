// The migrated PGlite data directory shipped in drizzle/ (src/db/pglite-snapshot.ts): it matches this
// build's migrations and PGlite, a new DATA_DIR starts from it, and a directory in use is never touched.
import { afterEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCK_FILE_NAME } from "../../src/db/data-dir-lock.ts";
import { openDatabase, rowsOf } from "../../src/db/database.ts";
import { embeddedMigrations } from "../../src/db/migrate.ts";
import { pendingMigrations } from "../support/migrations.ts";
import { PGLITE_VERSION, restoreSnapshot, SNAPSHOT_INFO } from "../../src/db/pglite-snapshot.ts";

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "studyconnect-snapshot-test-"));
  dirs.push(dir);
  return join(dir, "data");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
// In this thread: the restore and PGlite's start are the same code in the worker (pglite-worker.test.ts
// covers that), and each worker compiles PGlite's wasm again (about half a second of CPU per open).
const open = (dataDir: string) => openDatabase({ driver: "pglite", dataDir, inWorker: false });

describe("PGlite snapshot", () => {
  test("is current: made by this PGlite with exactly this build's migrations (else run `bun run db:snapshot`)", () => {
    expect(SNAPSHOT_INFO.pglite).toBe(PGLITE_VERSION);
    expect(SNAPSHOT_INFO.migrations).toEqual(embeddedMigrations.map((m) => m.hash));
    // Postgres needs its empty directories too; the tarball only carries files.
    expect(SNAPSHOT_INFO.directories).toContain("pg_tblspc");
  });

  test("carries no data-directory lock file (restoring it would replace the lock the new server holds)", async () => {
    const archive = new Bun.Archive(await Bun.file(join(import.meta.dir, "..", "..", "drizzle", "pglite-snapshot.tar.gz")).bytes());
    const names = [...(await archive.files()).keys()];
    expect(names).toContain("PG_VERSION");
    expect(names).not.toContain(LOCK_FILE_NAME);
  });

  test("leaves out the free space and visibility map forks: Postgres makes them when a vacuum needs them", async () => {
    const archive = new Bun.Archive(await Bun.file(join(import.meta.dir, "..", "..", "drizzle", "pglite-snapshot.tar.gz")).bytes());
    const names = [...(await archive.files()).keys()];
    expect(names.filter((name) => /_(fsm|vm)$/.test(name))).toEqual([]);
    const database = await open(newDir());
    try {
      await database.db.execute(sql`insert into users (email, password_hash, first_name, last_name) select 'u' || i || '@b.c', 'h', 'A', 'B' from generate_series(1, 500) as i`);
      await database.db.execute(sql`delete from users where email in (select 'u' || i || '@b.c' from generate_series(2, 500, 2) as i)`);
      await database.db.execute(sql`vacuum users`);
      // A catalog change lands on pages the snapshot's vacuum marked all-visible, whose map is not there.
      await database.db.execute(sql`create table snapshot_probe (x int)`);
      await database.db.execute(sql`drop table snapshot_probe`);
      const forks = rowsOf<{ fsm: number; vm: number; n: number }>(
        await database.db.execute(sql`select pg_relation_size('users', 'fsm')::int as fsm, pg_relation_size('users', 'vm')::int as vm, (select count(*)::int from users) as n`),
      );
      expect(forks).toEqual([{ fsm: expect.any(Number), vm: expect.any(Number), n: 250 }]);
      expect(forks[0]?.fsm).toBeGreaterThan(0);
      expect(forks[0]?.vm).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  test("holds only the database PGlite opens (postgres): the template databases are dropped, catalog and files", async () => {
    const dataDir = newDir();
    const database = await open(dataDir);
    try {
      const databases = rowsOf<{ datname: string; oid: number }>(await database.db.execute(sql`select datname, oid::int as oid from pg_database`));
      expect(databases.map((row) => row.datname)).toEqual(["postgres"]);
      expect(readdirSync(join(dataDir, "base"))).toEqual(databases.map((row) => String(row.oid)));
      // The transaction-id wraparound horizon names a database that is there (not a dropped template).
      const horizon = rowsOf<{ oid: number }>(await database.db.execute(sql`select oldest_xid_dbid::int as oid from pg_control_checkpoint()`));
      expect(horizon).toEqual([{ oid: databases[0]?.oid ?? -1 }]);
    } finally {
      await database.close();
    }
  });

  test("its application tables were never vacuumed: the planner does not take them for empty tables", async () => {
    // Measured empty, a table is planned as empty (sequential scans) in plans PGlite keeps for good.
    const database = await open(newDir());
    try {
      const measured = rowsOf<{ relname: string }>(
        await database.db.execute(sql`select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and reltuples >= 0`),
      );
      expect(measured).toEqual([]);
    } finally {
      await database.close();
    }
  });

  test("a new data directory starts from it: migrated, writable, and reopened as it is", async () => {
    const dataDir = newDir();
    const first = await open(dataDir);
    try {
      expect(first.origin).toBe("snapshot");
      expect(await pendingMigrations(first.db)).toBe(0);
      await first.db.execute(sql`insert into users (email, password_hash, first_name, last_name) values ('a@b.c', 'h', 'A', 'B')`);
    } finally {
      await first.close();
    }
    const again = await open(dataDir);
    try {
      expect(again.origin).toBe("existing");
      expect(rowsOf<{ n: number }>(await again.db.execute(sql`select count(*)::int as n from users`))).toEqual([{ n: 1 }]);
    } finally {
      await again.close();
    }
  });

  test("a directory that already holds a database is never overwritten", async () => {
    const dataDir = newDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "PG_VERSION"), "mine\n");
    expect(await restoreSnapshot(dataDir)).toBe("existing");
    expect(readFileSync(join(dataDir, "PG_VERSION"), "utf8")).toBe("mine\n");
    expect(existsSync(join(dataDir, "base"))).toBe(false);
  });

  test("a restore cut short (no PG_VERSION yet) is done again; other files in DATA_DIR stay", async () => {
    const dataDir = newDir();
    mkdirSync(join(dataDir, ".snapshot-restore", "base"), { recursive: true });
    mkdirSync(join(dataDir, "global"), { recursive: true });
    writeFileSync(join(dataDir, "global", "half-written"), "x");
    writeFileSync(join(dataDir, "jwt-secret"), "secret\n");
    expect(await restoreSnapshot(dataDir)).toBe("restored");
    expect(existsSync(join(dataDir, ".snapshot-restore"))).toBe(false);
    expect(existsSync(join(dataDir, "global", "half-written"))).toBe(false);
    expect(readFileSync(join(dataDir, "jwt-secret"), "utf8")).toBe("secret\n");
    expect(readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim()).toMatch(/^\d+$/);
    for (const directory of SNAPSHOT_INFO.directories) expect(existsSync(join(dataDir, directory))).toBe(true);
  });
});
