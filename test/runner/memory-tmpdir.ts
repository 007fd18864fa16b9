// A temporary directory in memory (tmpfs, /dev/shm) for a run of the suite, where the machine has one
// with room to spare. The suite creates, fsyncs and deletes thousands of files (each PGlite directory
// is 332 files, 23 MB, started from the snapshot); on the ext4 of the 2-core test machines a snapshot
// restore and removal cost 190 ms of CPU, on tmpfs 55 ms (test/db, test/foundation and test/browser
// together: 7.5-9.7 s of system time against 10.3-11.1 s).
import { chmodSync, mkdtempSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";

const TMPFS_MAGIC = 0x01021994;
/** What a run leaves there at its peak is a few hundred MB (PGlite directories, Chromium's profile); ten times that, at least. */
const MEMORY_NEEDED_BYTES = 2 * 1024 ** 3;
const PREFIX = "studyconnect-suite-tmp-";
const RUN_DIRECTORY = new RegExp(`^${PREFIX}(\\d+)-`);

/**
 * A new directory under `base` when `base` is a tmpfs with `needed` bytes free and writable, for the
 * run's TMPDIR; undefined otherwise (the run keeps the usual temporary directory). Its name carries
 * this process's id: a run killed before it could remove its directory leaves memory in use, which
 * the next run gives back (removeOrphans). Open to all, with the sticky bit, as /tmp is: processes a
 * test starts under another user (nginx's workers run as "nobody") reach what is made for them in it.
 */
export function memoryTempDirectory(base = "/dev/shm", needed = MEMORY_NEEDED_BYTES): string | undefined {
  try {
    const stats = statfsSync(base);
    if (stats.type !== TMPFS_MAGIC || stats.bavail * stats.bsize < needed) return undefined;
    removeOrphans(base);
    const directory = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
    chmodSync(directory, 0o1777);
    return directory;
  } catch {
    // Not there, or not writable: the run uses the usual temporary directory.
    return undefined;
  }
}

/** Whether `path` is on a tmpfs (false where it is not there). */
export function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** Removes the directories of runs whose process is gone. */
export function removeOrphans(base: string): void {
  for (const name of readdirSync(base)) {
    const pid = Number(RUN_DIRECTORY.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(join(base, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: there, another user's.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
