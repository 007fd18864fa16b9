// One process per PGlite data directory. PGlite does not stop a second process from opening a
// directory in use (both then write, and one's acknowledged writes are lost), so the server holds an
// advisory lock (flock(2), through bun:ffi) on DATA_DIR/studyconnect.lock while the database is
// open. The kernel drops it when the process ends, however it ends: a killed server leaves no stale lock.
import { dlopen, FFIType, read, type Pointer } from "bun:ffi";
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE_NAME = "studyconnect.lock";

export class DataDirectoryInUseError extends Error {
  override name = "DataDirectoryInUseError";
  readonly code = "DATA_DIR_IN_USE";
}

export type DataDirectoryLock = { release(): void };

const LOCK_EX = 2;
const LOCK_NB = 4;
// flock's "already locked" errno: EWOULDBLOCK (EAGAIN), 11 on Linux and 35 on macOS and the BSDs.
const EWOULDBLOCK = process.platform === "linux" ? 11 : 35;

type Libc = { flock(fd: number, operation: number): number; errno(): number };

// glibc, musl (x64 and arm64) and macOS name their C library, and the function answering errno, differently.
const LIBRARIES: readonly string[] =
  process.platform === "darwin"
    ? ["libc.dylib"]
    : ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`, "libc.so"];

const FLOCK = { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } as const;
const ERRNO = { args: [], returns: FFIType.ptr } as const;

function openLibc(path: string): Libc {
  const errnoOf = (pointer: Pointer | bigint | null) => (pointer === null || typeof pointer === "bigint" ? 0 : read.i32(pointer, 0));
  if (process.platform === "darwin") {
    const { symbols } = dlopen(path, { flock: FLOCK, __error: ERRNO });
    return { flock: (fd, operation) => symbols.flock(fd, operation), errno: () => errnoOf(symbols.__error()) };
  }
  const { symbols } = dlopen(path, { flock: FLOCK, __errno_location: ERRNO });
  return { flock: (fd, operation) => symbols.flock(fd, operation), errno: () => errnoOf(symbols.__errno_location()) };
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  for (const path of LIBRARIES) {
    try {
      return openLibc(path);
    } catch {
      // Not this platform's name: try the next one.
    }
  }
  return null;
}

/**
 * Locks `dataDir` for this process, or throws DataDirectoryInUseError naming the holder. Where no C
 * library can be loaded (Windows), the directory is not locked (README "Running on PGlite").
 */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  libc ??= loadLibc();
  if (libc === null) return { release() {} };
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const fd = openSync(path, "a+", 0o600);
  if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const errno = libc.errno();
    closeSync(fd);
    if (errno !== EWOULDBLOCK) throw new Error(`cannot lock the data directory ${dataDir} (flock errno ${errno})`);
    const holder = readFileSync(path, "utf8").trim();
    const pid = /^\d+$/.test(holder) ? ` (pid ${holder})` : "";
    throw new DataDirectoryInUseError(`the data directory ${dataDir} is in use by another process${pid}; stop it or use another DATA_DIR`);
  }
  // Who holds it, for the message another process shows.
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      closeSync(fd);
    },
  };
}
