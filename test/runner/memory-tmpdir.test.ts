// The suite's temporary directory in memory: made only on a tmpfs with room, under a name that lets a
// later run remove it when the run that made it was killed before it could.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isTmpfs, memoryTempDirectory, removeOrphans } from "./memory-tmpdir.ts";

const SHM = "/dev/shm";
const shmIsTmpfs = isTmpfs(SHM);
if (!shmIsTmpfs) console.warn("memory-tmpdir: /dev/shm is not a tmpfs here, so the tests that make a directory in it are skipped");

/** The id of a process that has exited. */
function deadPid(): number {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
}

describe("the suite's temporary directory in memory", () => {
  test.skipIf(!shmIsTmpfs)("made on a tmpfs with room, named after this process, open to all as /tmp is", () => {
    const made = memoryTempDirectory(SHM, 1);
    try {
      expect(made).toBeDefined();
      expect(made?.startsWith(join(SHM, `studyconnect-suite-tmp-${process.pid}-`))).toBe(true);
      expect(statSync(made ?? "").mode & 0o7777).toBe(0o1777);
    } finally {
      if (made) rmSync(made, { recursive: true, force: true });
    }
  });

  test("none on a file system that is not a tmpfs, where there is not room, or where there is no such directory", () => {
    // The checkout is on a disk, unless this machine keeps it in memory too.
    if (!isTmpfs(import.meta.dir)) expect(memoryTempDirectory(import.meta.dir, 1)).toBeUndefined();
    if (shmIsTmpfs) expect(memoryTempDirectory(SHM, Number.MAX_SAFE_INTEGER)).toBeUndefined();
    expect(memoryTempDirectory(join(import.meta.dir, "no-such-directory"), 1)).toBeUndefined();
  });

  test("a run's leftovers are removed once its process is gone; a live run's and other names are kept", () => {
    const base = mkdtempSync(join(shmIsTmpfs ? SHM : import.meta.dir, "memory-tmpdir-test-"));
    try {
      const orphan = join(base, `studyconnect-suite-tmp-${deadPid()}-abc123`);
      const live = join(base, `studyconnect-suite-tmp-${process.pid}-def456`);
      const other = join(base, "someone-elses");
      for (const directory of [orphan, live, other]) mkdirSync(directory);
      writeFileSync(join(orphan, "left"), "behind");
      removeOrphans(base);
      expect([existsSync(orphan), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
