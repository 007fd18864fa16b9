// `bun run db:snapshot`: writes drizzle/pglite-snapshot.tar.gz (and its .json) — a PGlite data
// directory made by initdb, migrated with drizzle/, checkpointed and cleanly shut down — which new
// DATA_DIRs start from (src/db/pglite-snapshot.ts). Run it after adding a migration or upgrading PGlite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { LOCK_FILE_NAME } from "./data-dir-lock.ts";
import { openDatabase } from "./database.ts";
import { embeddedMigrations } from "./migrations.ts";
import { PGLITE_VERSION, type SnapshotInfo } from "./pglite-snapshot.ts";

// A relation's free space map and visibility map forks (<relfilenode>_fsm, _vm): Postgres treats a
// missing one as empty (no free space known, no page all-visible) and makes it when it first needs
// it, as for any new table. A fifth of the snapshot's files, and every file costs a restore its
// creation (on a file system without a journal, ext4 scans its recently deleted inodes at each one).
const OPTIONAL_FORK = /(^|\/)\d+_(fsm|vm)(\.\d+)?$/;

const out = join(import.meta.dir, "..", "..", "drizzle");
const work = mkdtempSync(join(tmpdir(), "studyconnect-snapshot-"));
try {
  const dataDir = join(work, "data");
  // snapshot: false, so this really runs initdb instead of copying the snapshot being replaced.
  const database = await openDatabase({ driver: "pglite", dataDir, snapshot: false });
  await database.migrate();
  // PGlite serves one database, `postgres` (single-user mode: an instance opens the database it is
  // given, and the server gives none). template0 and template1 only serve CREATE DATABASE, which the
  // server never runs: dropped (not left out of the archive, so the catalog agrees), they are 450
  // fewer files for every new DATA_DIR to create. A database made by initdb keeps them.
  for (const template of ["template1", "template0"]) {
    await database.db.execute(sql.raw(`alter database ${template} is_template false`));
    await database.db.execute(sql.raw(`drop database ${template}`));
  }
  // The transaction-id wraparound horizon still names template1: any VACUUM sets it again from the
  // databases that are left (in pg_control at the checkpoint below) when the one it names is gone.
  // Only pg_database's: a vacuum records the tables' sizes, and the application's tables, measured
  // empty, would be planned as empty (sequential scans in plans kept for good: 35 % more CPU per message).
  await database.db.execute(sql`vacuum pg_catalog.pg_database`);
  // Start-up after a checkpoint has no WAL to replay: the copy opens as fast as a used directory.
  await database.db.execute("checkpoint");
  await database.close();
  const files: Record<string, Uint8Array> = {};
  for (const path of scan(dataDir, true)) files[path] = await Bun.file(join(dataDir, path)).bytes();
  await Bun.Archive.write(join(out, "pglite-snapshot.tar.gz"), files, { compress: "gzip", level: 12 });
  const directories = [...new Set(scan(dataDir, false))].filter((path) => !(path in files)).sort();
  const info: SnapshotInfo = { pglite: PGLITE_VERSION, migrations: embeddedMigrations.map((m) => m.hash), directories };
  await Bun.write(join(out, "pglite-snapshot.json"), `${JSON.stringify(info, null, 2)}\n`);
  console.log(`wrote drizzle/pglite-snapshot.tar.gz: PGlite ${info.pglite}, ${info.migrations.length} migration(s)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Relative paths under `dir`: files only, or files and directories. Never the lock file the open above
 * held: a directory restored with it would swap the new server's lock file for another inode, which a
 * second process could lock too. Nor the optional forks above.
 */
function scan(dir: string, onlyFiles: boolean): string[] {
  const paths = [...new Bun.Glob("**/*").scanSync({ cwd: dir, dot: true, onlyFiles })];
  return paths.filter((path) => path !== LOCK_FILE_NAME && !OPTIONAL_FORK.test(path)).sort();
}
