// One process per PGlite data directory: the lock refuses a second holder (in this process too),
// names the holder, and is free again once released.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDirectoryInUseError, lockDataDirectory } from "../../src/db/data-dir-lock.ts";

describe("lockDataDirectory", () => {
  test("a second lock on a held directory is refused with the holder's pid; released, it can be taken again", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-lock-unit-"));
    try {
      const first = lockDataDirectory(dataDir);
      let refused: unknown;
      try {
        lockDataDirectory(dataDir);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DataDirectoryInUseError);
      expect((refused as Error).message).toContain(`in use by another process (pid ${process.pid})`);
      first.release();
      lockDataDirectory(dataDir).release();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
