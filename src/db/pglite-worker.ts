// The PGlite worker's entry (a Bun Worker; an entrypoint of the compiled binary). Compiling PGlite's
// wasm takes longest, and WebAssembly.compile does a good part of it (parsing and validating 9 MB)
// on the calling thread before it returns: it starts here, first thing, on a thread with nothing
// else to do, and the compile ends while PGlite and the request handling (pglite-worker-requests.ts)
// load. Requests that arrive meanwhile wait, in order.
import { loadPgliteWasm } from "./pglite-assets.ts";
import type { WorkerAnswer, WorkerRequest } from "./pglite-protocol.ts";

declare const self: Worker;

// A failure surfaces when the open awaits the module.
loadPgliteWasm().catch(() => {});
const early: WorkerRequest[] = [];
self.onmessage = (event: MessageEvent<WorkerRequest>) => void early.push(event.data);

const { serveRequest } = await import("./pglite-worker-requests.ts");
const post = (answer: WorkerAnswer) => self.postMessage(answer);
self.onmessage = (event: MessageEvent<WorkerRequest>) => serveRequest(event.data, post);
for (const request of early.splice(0)) serveRequest(request, post);
