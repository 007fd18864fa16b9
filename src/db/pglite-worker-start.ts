// Starts the PGlite worker (pglite-worker.ts), which compiles PGlite's wasm first thing (or is handed
// the one an earlier worker of this process compiled). main.ts starts it as soon as the configuration
// names PGlite, before the rest of the server (Drizzle included) loads: the compile and the boot are
// the longest part of start-up and need nothing the rest loads. The data directory is still locked
// before the worker is asked to open it.
import { compiledPgliteWasm } from "./pglite-assets.ts";
import type { WorkerWasm } from "./pglite-protocol.ts";

// `bun run` loads the worker module beside this one. In the compiled binary every bundled module
// has the binary's URL (file:///$bunfs/root/<name>), and the worker, a second entrypoint of the
// build (package.json "build"), sits at its path under src/, the main entrypoint's directory.
const WORKER_URL = import.meta.url.startsWith("file:///$bunfs/")
  ? new URL("./db/pglite-worker.ts", import.meta.url).href
  : new URL("./pglite-worker.ts", import.meta.url).href;

let started: Worker | undefined;

function startWorker(): Worker {
  const worker = new Worker(WORKER_URL);
  // The wasm this thread has (an earlier worker's, or its own): later workers (tests open many
  // databases in one process) neither compile it again nor tier its code up again.
  const first: WorkerWasm = { op: "wasm", module: compiledPgliteWasm() };
  worker.postMessage(first);
  return worker;
}

/** Starts the worker now, for the next database to open (one at a time: a second call does nothing). */
export function startPgliteWorkerEarly(): void {
  started ??= startWorker();
}

/** The worker started early, or a new one: each open takes its own. */
export function takePgliteWorker(): Worker {
  const worker = started ?? startWorker();
  started = undefined;
  return worker;
}
