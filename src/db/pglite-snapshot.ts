// A migrated PGlite data directory shipped with the server (drizzle/pglite-snapshot.tar.gz, embedded
// in the binary): a new DATA_DIR starts as a copy of it instead of running initdb in wasm, which
// takes seconds. `bun run db:snapshot` makes it again (after a migration or a PGlite upgrade).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fsyncCreatedDirectories, fsyncPath, fsyncTree } from "./durable-files.ts";
import snapshotPath from "../../drizzle/pglite-snapshot.tar.gz" with { type: "file" };
import snapshotInfo from "../../drizzle/pglite-snapshot.json" with { type: "json" };
import pglitePackage from "../../node_modules/@electric-sql/pglite/package.json" with { type: "json" };

export type SnapshotInfo = {
  /** The PGlite version that wrote it: its data directory format is that version's. */
  pglite: string;
  /** Hashes of the migrations applied in it, in order. */
  migrations: string[];
  /** Every directory of it, empty ones included (a tar of files alone would lose those). */
  directories: string[];
};

export const PGLITE_VERSION: string = pglitePackage.version;
export const SNAPSHOT_INFO: SnapshotInfo = snapshotInfo;
export const SNAPSHOT_PATH: string = snapshotPath;

// Where a restore unpacks before moving into place: PG_VERSION moves last, so a directory holding it
// is complete, and a restore cut short is simply done again. Complete on the disk too: every file and
// directory is flushed before PG_VERSION moves, so a power loss cannot leave the marker beside
// missing or short files (PGlite itself never fsyncs: see README, "Running on PGlite").
const STAGING = ".snapshot-restore";
const MARKER = "PG_VERSION";

export type RestoreResult = "restored" | "existing" | "incompatible";

/**
 * Fills an uninitialised data directory from the snapshot. "existing": the directory already holds
 * a database (never touched); "incompatible": the snapshot was made by another PGlite version, so
 * the caller lets PGlite run initdb.
 */
export async function restoreSnapshot(dataDir: string): Promise<RestoreResult> {
  if (existsSync(join(dataDir, MARKER))) return "existing";
  if (SNAPSHOT_INFO.pglite !== PGLITE_VERSION) return "incompatible";
  const firstCreated = mkdirSync(dataDir, { recursive: true });
  const staging = join(dataDir, STAGING);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  await new Bun.Archive(await Bun.file(SNAPSHOT_PATH).bytes()).extract(staging);
  for (const directory of SNAPSHOT_INFO.directories) mkdirSync(join(staging, directory), { recursive: true });
  await fsyncTree(staging);
  const moveIntoPlace = (name: string) => {
    const target = join(dataDir, name);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(staging, name), target);
  };
  for (const name of readdirSync(staging)) if (name !== MARKER) moveIntoPlace(name);
  // The moved names are durable before the marker's is (and DATA_DIR's own, when just made).
  await Promise.all([fsyncPath(dataDir, true), ...(firstCreated === undefined ? [] : [fsyncCreatedDirectories(firstCreated, dataDir)])]);
  moveIntoPlace(MARKER);
  await fsyncPath(dataDir, true);
  rmSync(staging, { recursive: true, force: true });
  return "restored";
}
