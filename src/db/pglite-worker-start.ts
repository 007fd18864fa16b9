// Starts the PGlite worker (pglite-worker.ts), which compiles PGlite's wasm first thing. main.ts
// starts it as soon as the configuration names PGlite, before the rest of the server (Drizzle
// included) loads: the compile and the boot are the longest part of start-up and need nothing the
// rest loads. The data directory is still locked before the worker is asked to open it.

// `bun run` loads the worker module beside this one. In the compiled binary every bundled module
// has the binary's URL (file:///$bunfs/root/<name>), and the worker, a second entrypoint of the
// build (package.json "build"), sits at its path under src/, the main entrypoint's directory.
const WORKER_URL = import.meta.url.startsWith("file:///$bunfs/")
  ? new URL("./db/pglite-worker.ts", import.meta.url).href
  : new URL("./pglite-worker.ts", import.meta.url).href;

let started: Worker | undefined;

/** Starts the worker now, for the next database to open (one at a time: a second call does nothing). */
export function startPgliteWorkerEarly(): void {
  started ??= new Worker(WORKER_URL);
}

/** The worker started early, or a new one: each open takes its own. */
export function takePgliteWorker(): Worker {
  const worker = started ?? new Worker(WORKER_URL);
  started = undefined;
  return worker;
}
