// fsync for the files the server lays out itself (the PGlite snapshot restore): data and names
// reach the disk before a later step, or a later start, relies on them being complete.
import { open, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

// Open files at once while flushing a tree: enough for the kernel and the disk to batch the writes
// (all at once was no faster in measurements), few enough for a low open-file limit.
const CONCURRENT_FSYNCS = 64;

// Some file systems cannot fsync a directory (EINVAL) or a read-only descriptor (EBADF); Postgres
// ignores both for directories, and so does this.
const UNSUPPORTED_FOR_DIRECTORIES = new Set(["EINVAL", "EBADF"]);

const codeOf = (error: unknown): unknown => (error instanceof Error && "code" in error ? error.code : undefined);

/** Flushes one file's data, or one directory's entries (the names created or renamed in it). */
export async function fsyncPath(path: string, isDirectory = false): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } catch (error) {
    if (!(isDirectory && UNSUPPORTED_FOR_DIRECTORIES.has(String(codeOf(error))))) throw error;
  } finally {
    await handle.close();
  }
}

/** Flushes every file and directory under root, root included, many at a time. */
export async function fsyncTree(root: string): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const pending = [{ path: root, isDirectory: true }, ...entries.map((entry) => ({ path: join(entry.parentPath, entry.name), isDirectory: entry.isDirectory() }))];
  let next = 0;
  const drain = async () => {
    for (let item = pending[next++]; item !== undefined; item = pending[next++]) await fsyncPath(item.path, item.isDirectory);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_FSYNCS, pending.length) }, drain));
}

/**
 * Makes directories that `mkdirSync(…, { recursive: true })` just created durable: the name of each,
 * from `firstCreated` down to `path`, lives in its parent, which is flushed.
 */
export async function fsyncCreatedDirectories(firstCreated: string, path: string): Promise<void> {
  const parents: string[] = [];
  const top = dirname(resolve(firstCreated));
  for (let directory = resolve(path); directory !== top && dirname(directory) !== directory; directory = dirname(directory)) {
    parents.push(dirname(directory));
  }
  await Promise.all(parents.map((parent) => fsyncPath(parent, true)));
}
