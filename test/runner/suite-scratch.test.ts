// What `bun run test` does after its workers: the Postgres databases they noted are dropped and the
// scratch directory (their PGlite directories) removed; a plain `bun test` process keeps nothing open.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ADMIN_URL, postgresAnswers } from "../support/fault-database.ts";
import { keepsOpenBetweenFiles, noteLeftoverDatabase, removeLeftovers, scratchDirectory } from "../support/suite-scratch.ts";
import { createThrowawayPostgres } from "../support/throwaway-postgres.ts";

const postgresThere = await postgresAnswers();

describe("suite scratch", () => {
  test("a process outside a `bun run test` worker closes what it opens itself: no scratch directory", () => {
    // This file runs either way; only a worker of `bun run test` has both variables.
    const inWorker = process.env.BUN_TEST_WORKER_ID !== undefined && Boolean(process.env.STUDYCONNECT_TEST_SCRATCH);
    expect(keepsOpenBetweenFiles).toBe(inWorker);
    if (!inWorker) expect(scratchDirectory()).toBeUndefined();
  });

  test("the runner removes the scratch directory with what workers left in it, a note it cannot read included", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "studyconnect-scratch-test-"));
    mkdirSync(join(scratch, "studyconnect-test-db-x", "base"), { recursive: true });
    writeFileSync(join(scratch, "studyconnect-test-db-x", "base", "1"), "data");
    writeFileSync(join(scratch, "postgres-broken.json"), "{ not json");
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => void warned.push(message);
    try {
      await removeLeftovers(scratch);
    } finally {
      console.warn = warn;
    }
    expect(existsSync(scratch)).toBe(false);
    expect(warned).toEqual([expect.stringContaining("postgres-broken.json")]);
  });

  test.skipIf(!postgresThere)("the runner drops the Postgres databases workers noted, and only those", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "studyconnect-scratch-test-"));
    const stamp = `${process.pid}_${Date.now().toString(36)}`;
    const noted = await createThrowawayPostgres(ADMIN_URL, `scratch_test_noted_${stamp}`);
    const kept = await createThrowawayPostgres(ADMIN_URL, `scratch_test_kept_${stamp}`);
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      // A connection left open, as a worker that exited leaves none but a crashed one might.
      const inside = postgres(noted.url, { max: 1, onnotice: () => {} });
      await inside`select 1`;
      noteLeftoverDatabase(ADMIN_URL, noted.name, scratch);
      await removeLeftovers(scratch);
      await inside.end({ timeout: 0 });
      const names = (await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`scratch_test_%_${stamp}`}`).map((row) => row.datname);
      expect(names).toEqual([kept.name]);
      expect(existsSync(scratch)).toBe(false);
    } finally {
      await admin.end({ timeout: 1 });
      await kept.drop();
      await noted.drop().catch(() => {});
    }
  });
});
