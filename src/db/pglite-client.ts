// Creates the embedded PGlite instance: a data directory (started from the shipped snapshot when
// new) or memory, with a buffer pool sized for an embedded server; and runs hot statements prepared
// once. Used in this thread (open-pglite.ts) and in the worker (pglite-worker.ts); no Drizzle here.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { epochNow, type StartupPhase } from "../lib/startup-trace.ts";
import type { Database, DatabaseOrigin } from "./database.ts";
import { loadPgliteAssets, pgliteWasmHandedOver } from "./pglite-assets.ts";
import { restoreSnapshot } from "./pglite-snapshot.ts";

// Postgres' default (128 MB) is allocated in wasm memory and initialised at every start: it made
// start-up twice as slow (0.77 s against 0.38 s here) and the process 125 MiB bigger. The operating
// system's page cache still holds the data files.
const SHARED_BUFFERS = "16MB";

/** `phases`: when each step ended (epoch ms), for the start-up debug log. */
export type PgliteClient = { client: PGlite; origin: DatabaseOrigin; phases: StartupPhase[] };

export async function createPgliteClient(dataDir: string | undefined, useSnapshot: boolean): Promise<PgliteClient> {
  const phases: StartupPhase[] = [];
  // In memory there is nothing to copy into: that database is made by initdb (tests use a directory).
  let origin: DatabaseOrigin = "initdb";
  if (dataDir !== undefined && useSnapshot) {
    const restored = await restoreSnapshot(dataDir);
    if (restored !== "incompatible") origin = restored === "restored" ? "snapshot" : "existing";
    phases.push({ phase: `pglite data directory ${restored}`, at: epochNow() });
  }
  // PGlite runs initdb (and needs its wasm) only where no database is yet: PG_VERSION is written last.
  const needsInitdb = dataDir === undefined || !existsSync(join(dataDir, "PG_VERSION"));
  const assets = await loadPgliteAssets(needsInitdb);
  phases.push({ phase: pgliteWasmHandedOver() ? "pglite wasm handed over" : "pglite wasm ready", at: epochNow() });
  const client = await PGlite.create({
    dataDir,
    ...assets,
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${SHARED_BUFFERS}`],
  });
  phases.push({ phase: "pglite started", at: epochNow() });
  return { client, origin, phases };
}

/**
 * PGlite plans every query it is given (it keeps no named statements for the extended protocol), so
 * a hot statement is PREPAREd once per instance and EXECUTEd with its JSON argument as a literal: the
 * argument is JSON we serialized, and in a standard-conforming string only a single quote needs doubling.
 */
export function pgliteStatements(client: PGlite): Database["jsonStatement"] {
  const prepared = new Map<string, { text: string; ready: Promise<void> }>();
  const prepare = async (name: string, text: string) => {
    const { rows } = await client.query<{ standard_conforming_strings: string }>("show standard_conforming_strings");
    if (rows[0]?.standard_conforming_strings !== "on") throw new Error("PGlite must run with standard_conforming_strings = on");
    await client.exec(`prepare ${name}(json) as ${text}`);
  };
  return (name, text) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid statement name: ${name}`);
    return async (json) => {
      let entry = prepared.get(name);
      if (entry && entry.text !== text) throw new Error(`statement ${name} is already prepared with another text`);
      if (!entry) {
        entry = { text, ready: prepare(name, text) };
        prepared.set(name, entry);
        // A failed PREPARE (the database was closing, say) is tried again by the next call.
        entry.ready.catch(() => prepared.delete(name));
      }
      await entry.ready;
      const literal = `'${json.replaceAll("'", "''")}'`;
      return (await client.query<Record<string, unknown>>(`execute ${name}(${literal})`)).rows;
    };
  };
}

