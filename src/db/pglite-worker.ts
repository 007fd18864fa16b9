// The PGlite worker's entry (a Bun Worker; an entrypoint of the compiled binary). Compiling PGlite's
// wasm takes longest, and WebAssembly.compile does a good part of it (parsing and validating 9 MB)
// on the calling thread before it returns: unless an earlier worker of this process compiled it
// (the first message says), it starts here, first thing, on a thread with nothing
// else to do, and the compile ends while PGlite and the request handling (pglite-worker-requests.ts)
// load. Requests that arrive meanwhile wait, in order. Until the database is open, JavaScriptCore's
// tier-up thresholds are 16 times the normal (Bun.unsafe.setJITPolicy, per thread): PGlite's boot runs
// once, and tiering it up cost more than it saved (its CPU in a worker on one core: 236 -> 213 ms).
import { loadPgliteWasm, usePgliteWasm } from "./pglite-assets.ts";
import type { WorkerAnswer, WorkerRequest, WorkerWasm } from "./pglite-protocol.ts";

declare const self: Worker;

const STARTUP_JIT_POLICY = 16;
Bun.unsafe.setJITPolicy(STARTUP_JIT_POLICY);

// The first message says whether an earlier worker of this process compiled the wasm already
// (pglite-worker-start.ts sends it as the worker is made, so it is here at the first turn).
const wasm = await new Promise<WorkerWasm>((resolve) => {
  self.onmessage = (event: MessageEvent<WorkerWasm>) => resolve(event.data);
});
if (wasm.module) usePgliteWasm(wasm.module);
// A failure surfaces when the open awaits the module.
else loadPgliteWasm().catch(() => {});
const early: WorkerRequest[] = [];
self.onmessage = (event: MessageEvent<WorkerRequest>) => void early.push(event.data);

const { serveRequest } = await import("./pglite-worker-requests.ts");
let starting = true;
const post = (answer: WorkerAnswer) => {
  // The first answer is the open's (pglite-worker-client.ts sends nothing before it): from here on
  // statements run for as long as the server does, under the normal policy.
  if (starting) Bun.unsafe.setJITPolicy(1);
  starting = false;
  self.postMessage(answer);
};
self.onmessage = (event: MessageEvent<WorkerRequest>) => serveRequest(event.data, post);
for (const request of early.splice(0)) serveRequest(request, post);
