// `bun run test` runs the suite as `bun test --parallel` workers, which exit after their last file
// without running any more JavaScript: such a worker keeps its database (and Chromium) from one file to
// the next, notes here what it leaves behind, and the runner removes that after the run.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dropPostgresDatabase } from "./throwaway-postgres.ts";

/** The variable naming the runner's scratch directory for this run. */
export const SCRATCH_VARIABLE = "STUDYCONNECT_TEST_SCRATCH";
const scratch = process.env[SCRATCH_VARIABLE] || undefined;

/**
 * True in a `bun test --parallel` worker of `bun run test`: the preload's hooks run around each file
 * there, and what a process shares between its files stays open until the worker exits. A worker of a
 * bare `bun test --parallel` (no scratch directory to leave things in) closes everything after each file.
 */
export const keepsOpenBetweenFiles = process.env.BUN_TEST_WORKER_ID !== undefined && scratch !== undefined;

/** Where a worker that keeps its database open puts its PGlite directory; undefined otherwise. */
export function scratchDirectory(): string | undefined {
  if (!keepsOpenBetweenFiles || scratch === undefined) return undefined;
  mkdirSync(scratch, { recursive: true });
  return scratch;
}

/** Notes a Postgres database a worker keeps until it exits, for the runner to drop (nothing outside such a worker). */
export function noteLeftoverDatabase(adminUrl: string, name: string, directory = scratchDirectory()): void {
  if (directory !== undefined) writeFileSync(join(directory, `postgres-${name}.json`), JSON.stringify({ adminUrl, name }));
}

/** Drops the databases workers noted in `directory` and removes the directory; called by the runner after the run. */
export async function removeLeftovers(directory: string): Promise<void> {
  const noted = readdirSync(directory).filter((file) => file.startsWith("postgres-") && file.endsWith(".json"));
  for (const file of noted) {
    // A note or a drop that fails is said, and the rest go on: the run's result is the tests'.
    try {
      const { adminUrl, name } = JSON.parse(readFileSync(join(directory, file), "utf8")) as { adminUrl: string; name: string };
      await dropPostgresDatabase(adminUrl, name);
    } catch (error) {
      console.warn(`could not drop the test database noted in ${file}: ${String(error)}`);
    }
  }
  rmSync(directory, { recursive: true, force: true });
}
