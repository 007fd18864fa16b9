// A mixed cluster on one Postgres: a stock socket.io Server with @socket.io/postgres-adapter and our
// Server with our Postgres adapter (the shared interop scenarios), a stock node's goodbye, and
// @socket.io/postgres-emitter (documents without nsp) reaching our clients.
import { afterAll, describe, expect, test } from "bun:test";
import { createAdapter } from "@socket.io/postgres-adapter";
import { Emitter } from "@socket.io/postgres-emitter";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { Server as StockServer } from "socket.io";
import type { Server, ServerOptions } from "../../src/socketio/index.ts";
import { waitFor } from "../support/sio-client.ts";
import { emitterScenario, interopScenarios, stockNode, type StockNode } from "./interop-scenarios.ts";
import { clusterFormed, dropSessionTables, dropTable, pgClient, POSTGRES_URL, postgresAvailable, startPgNode, uniqueCluster } from "./postgres-support.ts";

const available = await postgresAvailable("Postgres interop tests");
const { tableName } = uniqueCluster("file");
const clusterOf = (name: string) => ({ ...uniqueCluster(name), tableName });

afterAll(async () => {
  if (available) await dropTable(tableName);
});

type Cluster = { channelPrefix: string; tableName: string };

/** Polls pg_stat_activity until a backend ran `query` (the stock adapter's LISTEN has no event to wait on). */
async function backendRan(query: string): Promise<void> {
  const admin = pgClient();
  try {
    const deadline = Date.now() + 5000;
    while ((await admin`select 1 from pg_stat_activity where query = ${query}`).length === 0) {
      if (Date.now() > deadline) throw new Error(`no backend ran ${query} within 5 s`);
      await Bun.sleep(20);
    }
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** socket.io's own Server and Postgres adapter (on node-postgres, as it documents), listening to the channel before it is handed out. */
async function startStock(cluster: Cluster, setup: (io: StockServer) => void = () => {}): Promise<StockNode> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  pool.on("error", () => {});
  const http = createServer();
  const io = new StockServer(http, { adapter: createAdapter(pool, { ...cluster, heartbeatInterval: 1000 }) });
  setup(io);
  await backendRan(`LISTEN "${cluster.channelPrefix}#/"`);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return stockNode(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`, () => pool.end());
}

/**
 * The stock node first (it announces itself before it listens), then ours. Ours may count the stock
 * node from its periodic heartbeat before the stock node has read our announcement, and the stock
 * adapter has no event for that: its count is polled until it sees ours too.
 */
async function mixedCluster(cluster: Cluster, setupOurs?: (io: Server) => void, setupStock?: (io: StockServer) => void, serverOptions: Partial<ServerOptions> = {}) {
  const stock = await startStock(cluster, setupStock);
  // Ours creates the attachment table when it starts (the official adapter expects it to exist already).
  const ours = await startPgNode(cluster, {}, setupOurs, serverOptions);
  await clusterFormed([ours], 2);
  const deadline = Date.now() + 5000;
  while ((await stock.io.of("/").adapter.serverCount()) !== 2 && Date.now() < deadline) await Bun.sleep(10);
  expect(await stock.io.of("/").adapter.serverCount()).toBe(2);
  return { ours, stock };
}

describe.skipIf(!available)("Postgres adapter interop with socket.io's own adapter", () => {
  interopScenarios({
    async start(setupOurs, setupStock) {
      const { ours, stock } = await mixedCluster(clusterOf("mixed"), setupOurs, setupStock);
      return {
        ours,
        stock,
        async [Symbol.asyncDispose]() {
          await ours[Symbol.asyncDispose]();
          await stock[Symbol.asyncDispose]();
        },
      };
    },
  });

  test("a stock node that closes leaves our count at once (ADAPTER_CLOSE)", async () => {
    const { ours: o, stock } = await mixedCluster(clusterOf("close"));
    await using ours = o;
    await stock[Symbol.asyncDispose]();
    await ours.adapter.whenServerCount(1);
    expect(await ours.io.of("/").adapter.serverCount()).toBe(1);
  });
});

describe.skipIf(!available)("Postgres interop with connection state recovery on our node", () => {
  test("a stock node's clients get our broadcasts with the arguments sent, not the number that goes beside them for recovery", async () => {
    const cluster = { ...clusterOf("recovery"), sessionTableName: `${tableName}_sessions` };
    const { ours, stock } = await mixedCluster(cluster, undefined, undefined, { connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
    try {
      const { client } = await stock.client();
      const toAll = waitFor<unknown[]>(client, "to-all");
      ours.io.emit("to-all", 1, "two");
      expect(await toAll).toEqual([1, "two"]);
      // With bytes: through the attachment table, as MessagePack.
      const binary = waitFor<unknown[]>(client, "binary");
      ours.io.emit("binary", Buffer.from([3]));
      const [bytes, ...rest] = await binary;
      expect([...new Uint8Array(bytes as ArrayBuffer)]).toEqual([3]);
      expect(rest).toEqual([]);
    } finally {
      await ours[Symbol.asyncDispose]();
      await stock[Symbol.asyncDispose]();
      await dropSessionTables(cluster.sessionTableName);
    }
  });
});

describe.skipIf(!available)("@socket.io/postgres-emitter reaches our clients", () => {
  emitterScenario(async () => {
    const cluster = clusterOf("emitter");
    const ours = await startPgNode(cluster);
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    return {
      ours,
      // 0.1.1 sends its documents without nsp: they are for the namespace of the channel.
      emitter: new Emitter(pool, "/", cluster),
      async [Symbol.asyncDispose]() {
        await ours[Symbol.asyncDispose]();
        await pool.end();
      },
    };
  });
});
