// The snapshot restore is durable before it counts as done (src/db/pglite-snapshot.ts): traced with
// strace, every restored file and directory is fsynced before PG_VERSION is renamed into place, the
// names moved in and DATA_DIR's own are flushed first, and the marker's rename is flushed after.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SNAPSHOT_MODULE = join(import.meta.dir, "..", "..", "src", "db", "pglite-snapshot.ts");
// Missing, or not allowed to trace here (no ptrace in some containers).
const straceMissing =
  Bun.which("strace") === null || Bun.spawnSync(["strace", "-o", "/dev/null", "true"], { stdout: "ignore", stderr: "ignore" }).exitCode !== 0;
if (straceMissing) console.warn("snapshot durability test skipped: strace is missing or cannot trace here (apt-get install strace)");

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Trace = { fsyncedBefore: (path: string, lineIndex: number) => boolean; fsyncedAfter: (path: string, lineIndex: number) => boolean; markerRename: number };

/** Reads `strace -f -y` output: where each fsync completed (by the path of its descriptor), and the marker's rename. */
function parseTrace(text: string, dataDir: string): Trace {
  const completions = new Map<string, number[]>();
  const pendingByPid = new Map<string, string>();
  const complete = (path: string, index: number) => completions.set(path, [...(completions.get(path) ?? []), index]);
  let markerRename = -1;
  text.split("\n").forEach((line, index) => {
    const pid = line.split(" ", 1)[0] ?? "";
    const call = /fsync\(\d+<([^>]*)>/.exec(line);
    if (call?.[1] !== undefined) {
      if (line.includes("<unfinished ...>")) pendingByPid.set(pid, call[1]);
      else if (/\)\s+= 0$/.test(line)) complete(call[1], index);
    } else if (line.includes("<... fsync resumed>") && /\)\s+= 0$/.test(line)) {
      const path = pendingByPid.get(pid);
      if (path !== undefined) complete(path, index);
      pendingByPid.delete(pid);
    } else if (/rename\w*\(/.test(line) && line.includes(`"${join(dataDir, "PG_VERSION")}"`) && /\)\s+= 0$/.test(line)) {
      markerRename = index;
    }
  });
  return {
    fsyncedBefore: (path, lineIndex) => (completions.get(path) ?? []).some((at) => at < lineIndex),
    fsyncedAfter: (path, lineIndex) => (completions.get(path) ?? []).some((at) => at > lineIndex),
    markerRename,
  };
}

const everythingUnder = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true }).map((entry) => join(entry.parentPath, entry.name));

test.skipIf(straceMissing)("every restored file and directory reaches the disk before PG_VERSION is renamed into place", () => {
  const root = mkdtempSync(join(tmpdir(), "studyconnect-snapshot-fsync-"));
  dirs.push(root);
  // Two levels the restore creates itself: their names must be flushed into their parents too.
  const dataDir = join(root, "new", "data");
  const tracePath = join(root, "trace.txt");
  const script = `const { restoreSnapshot } = await import(${JSON.stringify(SNAPSHOT_MODULE)}); console.log(await restoreSnapshot(${JSON.stringify(dataDir)}));`;
  const traced = Bun.spawnSync(["strace", "-f", "-y", "-o", tracePath, "-e", "trace=fsync,rename,renameat,renameat2", process.execPath, "-e", script], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(traced.stdout.toString().trim()).toBe("restored");
  expect(traced.exitCode).toBe(0);

  const trace = parseTrace(readFileSync(tracePath, "utf8"), dataDir);
  expect(trace.markerRename).toBeGreaterThan(-1);
  // Files and directories are flushed while still in the staging directory, under their staged names.
  const staged = (path: string) => join(dataDir, ".snapshot-restore", path.slice(dataDir.length + 1));
  const restored = everythingUnder(dataDir).filter((path) => path !== join(dataDir, "PG_VERSION"));
  expect(restored.length).toBeGreaterThan(300);
  expect(restored.filter((path) => !trace.fsyncedBefore(staged(path), trace.markerRename))).toEqual([]);
  expect(trace.fsyncedBefore(join(dataDir, ".snapshot-restore", "PG_VERSION"), trace.markerRename)).toBe(true);
  // The names moved into DATA_DIR, and DATA_DIR's and "new"'s own names, before the marker; the marker's after.
  expect([dataDir, join(root, "new"), root].filter((path) => !trace.fsyncedBefore(path, trace.markerRename))).toEqual([]);
  expect(trace.fsyncedAfter(dataDir, trace.markerRename)).toBe(true);
});
