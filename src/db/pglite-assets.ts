// PGlite's wasm and file-system bundle imported as files, so `bun build --compile` embeds them;
// PGlite would otherwise look for them beside its own module and fail with ENOENT in the binary.
import pgliteWasmPath from "../../node_modules/@electric-sql/pglite/dist/pglite.wasm" with { type: "file" };
import initdbWasmPath from "../../node_modules/@electric-sql/pglite/dist/initdb.wasm" with { type: "file" };
import fsBundlePath from "../../node_modules/@electric-sql/pglite/dist/pglite.data" with { type: "file" };

export type PgliteAssets = { pgliteWasmModule: WebAssembly.Module; initdbWasmModule?: WebAssembly.Module; fsBundle: Blob };

let pglite: Promise<WebAssembly.Module> | undefined;
// The same module once compiled (or handed over), for a worker this thread starts.
let pgliteCompiled: WebAssembly.Module | undefined;
let handedOver = false;
let initdb: Promise<WebAssembly.Module> | undefined;

const compile = async (path: string) => WebAssembly.compile(await Bun.file(path).arrayBuffer());

/**
 * PGlite's wasm, compiled once per process where it can be (the longest step of opening a database,
 * about 0.3 s of CPU, much of it on the calling thread before the promise returns): the worker starts
 * it first thing unless it was handed the module (usePgliteWasm).
 */
export function loadPgliteWasm(): Promise<WebAssembly.Module> {
  pglite ??= compile(pgliteWasmPath).then((module) => (pgliteCompiled = module));
  return pglite;
}

/**
 * PGlite's wasm compiled by another thread of this process (a worker sends it back with its open's
 * answer; a new worker gets it as its first message), used instead of compiling it here: JavaScriptCore
 * then shares the module's code, tiered up, between the threads.
 */
export function usePgliteWasm(module: WebAssembly.Module): void {
  if (pglite) return;
  pglite = Promise.resolve(module);
  pgliteCompiled = module;
  handedOver = true;
}

/** This thread's compiled wasm, once it has one: what a worker it starts is handed. */
export const compiledPgliteWasm = (): WebAssembly.Module | undefined => pgliteCompiled;

/** Whether this thread's wasm was handed over by another (usePgliteWasm), for the start-up phases. */
export const pgliteWasmHandedOver = (): boolean => handedOver;

/**
 * The assets for PGlite.create. initdb's wasm is compiled only when a database is to be made by
 * initdb: a data directory in use, or restored from the snapshot, never needs it.
 */
export async function loadPgliteAssets(needsInitdb: boolean): Promise<PgliteAssets> {
  if (needsInitdb) initdb ??= compile(initdbWasmPath);
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([loadPgliteWasm(), needsInitdb ? initdb : undefined]);
  return { pgliteWasmModule, ...(initdbWasmModule ? { initdbWasmModule } : {}), fsBundle: Bun.file(fsBundlePath) };
}
