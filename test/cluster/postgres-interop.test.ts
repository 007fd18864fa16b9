// A mixed cluster on one Postgres: a stock socket.io Server with @socket.io/postgres-adapter (run
// under Bun in this process) and our Server with our Postgres adapter. Every cluster feature, both
// ways; and @socket.io/postgres-emitter (documents without nsp) reaching our clients.
import { afterAll, describe, expect, test } from "bun:test";
import { createAdapter } from "@socket.io/postgres-adapter";
import { Emitter } from "@socket.io/postgres-emitter";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { Server as StockServer, type Socket as StockSocket } from "socket.io";
import { io as ioc } from "socket.io-client";
import { rejectionOf } from "../support/promises.ts";
import { CLIENT_DEFAULTS, connected, expectNoEvent, until, waitFor, type ClientSocket } from "../support/sio-client.ts";
import { clusterFormed, dropTable, pgClient, POSTGRES_URL, postgresAvailable, startPgNode, uniqueCluster, type PgNode } from "./postgres-support.ts";

const available = await postgresAvailable("Postgres interop tests");
const { tableName } = uniqueCluster("file");
const clusterOf = (name: string) => ({ ...uniqueCluster(name), tableName });

afterAll(async () => {
  if (available) await dropTable(tableName);
});

type Cluster = { channelPrefix: string; tableName: string };

type StockNode = {
  io: StockServer;
  client(): Promise<{ client: ClientSocket; socket: StockSocket }>;
  [Symbol.asyncDispose](): Promise<void>;
};

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

/** socket.io's own Server and Postgres adapter, listening to the channel before it is handed out. */
async function startStock(cluster: Cluster, setup: (io: StockServer) => void = () => {}): Promise<StockNode> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  pool.on("error", () => {});
  const http = createServer();
  const io = new StockServer(http, { adapter: createAdapter(pool, { ...cluster, heartbeatInterval: 1000 }) });
  setup(io);
  await backendRan(`LISTEN "${cluster.channelPrefix}#/"`);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  const sockets: StockSocket[] = [];
  return {
    io,
    async client() {
      const arrived = waitFor<[StockSocket]>(io, "connection");
      const client = ioc(url, { ...CLIENT_DEFAULTS, transports: ["websocket"] });
      clients.push(client);
      await connected(client);
      const [socket] = await arrived;
      sockets.push(socket);
      return { client, socket };
    },
    async [Symbol.asyncDispose]() {
      const gone = sockets.filter((socket) => socket.connected).map((socket) => waitFor(socket, "disconnect"));
      for (const client of clients) {
        client.io.reconnection(false);
        client.disconnect();
      }
      await Promise.allSettled(gone);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await pool.end();
    },
  };
}

/** The stock node first (it announces itself before it listens), then ours: each counts the other once ours is told. */
async function mixedCluster(name: string, setupOurs?: (io: PgNode["io"]) => void, setupStock?: (io: StockServer) => void) {
  const cluster = clusterOf(name);
  // Ours creates the attachment table when it starts (the official adapter expects it to exist already).
  const stock = await startStock(cluster, setupStock);
  const ours = await startPgNode(cluster, {}, setupOurs);
  // The stock node answered our INITIAL_HEARTBEAT after it counted us.
  await clusterFormed([ours], 2);
  expect(await stock.io.of("/").adapter.serverCount()).toBe(2);
  return { ours, stock };
}

describe.skipIf(!available)("Postgres adapter interop with socket.io's own adapter", () => {
  test("broadcasts to all, to a room and except a room, both ways, binary and large included", async () => {
    const { ours: o, stock: s } = await mixedCluster("bc");
    await using ours = o;
    await using stock = s;
    const onOurs = await ours.client();
    const onStock = await stock.client();
    onOurs.socket.join("r");
    onStock.socket.join("r");

    // stock → ours
    let got = waitFor(onOurs.client, "all");
    stock.io.emit("all", 1, { a: "b" });
    expect(await got).toEqual([1, { a: "b" }]);
    got = waitFor(onOurs.client, "room");
    stock.io.to("r").emit("room", 2);
    expect(await got).toEqual([2]);
    const bin = waitFor<[Buffer]>(onOurs.client, "bin");
    stock.io.emit("bin", Buffer.from([9, 8, 7]));
    expect([...new Uint8Array((await bin)[0])]).toEqual([9, 8, 7]);
    const large = "L".repeat(20_000);
    got = waitFor(onOurs.client, "large");
    stock.io.emit("large", large);
    expect(await got).toEqual([large]);
    let none = expectNoEvent(onOurs.client, "except", 300);
    stock.io.except("r").emit("except", 3);
    await none;

    // ours → stock
    got = waitFor(onStock.client, "all");
    ours.io.emit("all", 4, { c: "d" });
    expect(await got).toEqual([4, { c: "d" }]);
    got = waitFor(onStock.client, "room");
    ours.io.to("r").emit("room", 5);
    expect(await got).toEqual([5]);
    const bin2 = waitFor<[Buffer]>(onStock.client, "bin");
    ours.io.emit("bin", new Uint8Array([1, 2, 3]));
    expect([...new Uint8Array((await bin2)[0])]).toEqual([1, 2, 3]);
    got = waitFor(onStock.client, "large");
    ours.io.emit("large", large);
    expect(await got).toEqual([large]);
    none = expectNoEvent(onStock.client, "except", 300);
    ours.io.except("r").emit("except", 6);
    await none;

    got = waitFor(onOurs.client, "direct");
    stock.io.to(onOurs.socket.id).emit("direct", "to ours");
    expect(await got).toEqual(["to ours"]);
    got = waitFor(onStock.client, "direct");
    ours.io.to(onStock.socket.id).emit("direct", "to stock");
    expect(await got).toEqual(["to stock"]);
  });

  test("fetchSockets both ways, with rooms and data; remote sockets can be emitted to", async () => {
    const { ours: o, stock: s } = await mixedCluster("fetch");
    await using ours = o;
    await using stock = s;
    const onOurs = await ours.client();
    const onStock = await stock.client();
    onOurs.socket.data = { node: "ours" };
    onStock.socket.data = { node: "stock" };
    onOurs.socket.join("ours-room");
    onStock.socket.join("stock-room");

    const fromStock = await stock.io.fetchSockets();
    const oursSeen = fromStock.find((socket) => socket.id === onOurs.socket.id);
    expect(oursSeen?.data).toEqual({ node: "ours" });
    expect([...(oursSeen?.rooms ?? [])].sort()).toEqual([onOurs.socket.id, "ours-room"].sort());
    expect(fromStock.length).toBe(2);

    const fromOurs = await ours.io.in("stock-room").fetchSockets();
    expect(fromOurs.map((socket) => [socket.id, socket.data])).toEqual([[onStock.socket.id, { node: "stock" }]]);
    expect(fromOurs[0]?.handshake.query.EIO).toBe("4");

    let got = waitFor(onStock.client, "hi");
    fromOurs[0]?.emit("hi", "from ours");
    expect(await got).toEqual(["from ours"]);
    got = waitFor(onOurs.client, "hi");
    oursSeen?.emit("hi", "from stock");
    expect(await got).toEqual(["from stock"]);
  });

  test("socketsJoin, socketsLeave and disconnectSockets both ways", async () => {
    const { ours: o, stock: s } = await mixedCluster("bulk");
    await using ours = o;
    await using stock = s;
    const onOurs = await ours.client();
    const onStock = await stock.client();

    ours.io.socketsJoin("j1");
    let got = waitFor(onStock.client, "in-j1");
    ours.io.to("j1").emit("in-j1");
    await got;
    expect(onStock.socket.rooms.has("j1")).toBe(true);

    stock.io.socketsJoin("j2");
    got = waitFor(onOurs.client, "in-j2");
    // The stock node sends from a pool: its join and its emit may overtake each other, so the emit waits for the join.
    await until(() => onOurs.socket.rooms.has("j2") || undefined, 2000, "the join on our node");
    stock.io.to("j2").emit("in-j2");
    await got;
    expect(onOurs.socket.rooms.has("j2")).toBe(true);

    stock.io.socketsLeave("j1");
    got = waitFor(onOurs.client, "sentinel");
    stock.io.emit("sentinel");
    await got;
    expect(onOurs.socket.rooms.has("j1")).toBe(false);

    ours.io.socketsLeave("j2");
    got = waitFor(onStock.client, "sentinel");
    ours.io.emit("sentinel");
    await got;
    expect(onStock.socket.rooms.has("j2")).toBe(false);

    let gone = waitFor(onOurs.client, "disconnect");
    stock.io.in(onOurs.socket.id).disconnectSockets();
    expect(await gone).toEqual(["io server disconnect"]);
    gone = waitFor(onStock.client, "disconnect");
    ours.io.in(onStock.socket.id).disconnectSockets();
    expect(await gone).toEqual(["io server disconnect"]);
  });

  test("serverSideEmit, with and without acks, both ways", async () => {
    const answer = (who: string) => (io: { on(event: string, listener: (n: unknown, ack: unknown) => void): unknown }) => {
      io.on("ask", (n, ack) => {
        if (typeof ack === "function") ack(`${who}:${String(n)}`);
      });
    };
    const { ours: o, stock: s } = await mixedCluster("sse", answer("ours"), answer("stock"));
    await using ours = o;
    await using stock = s;
    let heard = waitFor(ours.io.of("/"), "note");
    stock.io.serverSideEmit("note", 1, "a");
    expect(await heard).toEqual([1, "a"]);
    heard = waitFor(stock.io, "note");
    ours.io.serverSideEmit("note", 2, "b");
    expect(await heard).toEqual([2, "b"]);

    expect(await stock.io.serverSideEmitWithAck("ask", 1)).toEqual(["ours:1"]);
    expect(await ours.io.serverSideEmitWithAck("ask", 2)).toEqual(["stock:2"]);
  });

  test("broadcasts with acks collect answers from both kinds of node, both ways", async () => {
    const { ours: o, stock: s } = await mixedCluster("acks");
    await using ours = o;
    await using stock = s;
    const onOurs = await ours.client();
    const onStock = await stock.client();
    onOurs.client.on("ask", (ack: (v: string) => void) => ack("ours"));
    onStock.client.on("ask", (ack: (v: string) => void) => ack("stock"));
    expect((await ours.io.timeout(2000).emitWithAck("ask")).map(String).sort()).toEqual(["ours", "stock"]);
    expect((await stock.io.timeout(2000).emitWithAck("ask")).map(String).sort()).toEqual(["ours", "stock"]);
    onOurs.client.off("ask");
    onOurs.client.on("ask", () => {});
    expect(String(await rejectionOf(stock.io.timeout(300).emitWithAck("ask")))).toContain("operation has timed out");
  });

  test("a stock node that closes leaves our count at once (ADAPTER_CLOSE)", async () => {
    const { ours: o, stock } = await mixedCluster("close");
    await using ours = o;
    await stock[Symbol.asyncDispose]();
    await ours.adapter.whenServerCount(1);
    expect(await ours.io.of("/").adapter.serverCount()).toBe(1);
  });
});

describe.skipIf(!available)("@socket.io/postgres-emitter reaches our clients", () => {
  test("emit, to(room), except, binary, large, socketsJoin, disconnectSockets and serverSideEmit", async () => {
    const cluster = clusterOf("emitter");
    await using ours = await startPgNode(cluster);
    const onOurs = await ours.client();
    const other = await ours.client();
    onOurs.socket.join("r");
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      const emitter = new Emitter(pool, "/", cluster);

      let got = waitFor(onOurs.client, "all");
      emitter.emit("all", { x: 1 });
      expect(await got).toEqual([{ x: 1 }]);

      got = waitFor(onOurs.client, "room");
      let none = expectNoEvent(other.client, "room", 300);
      emitter.to("r").emit("room", 2);
      expect(await got).toEqual([2]);
      await none;

      got = waitFor(other.client, "except");
      none = expectNoEvent(onOurs.client, "except", 300);
      emitter.except("r").emit("except", 3);
      expect(await got).toEqual([3]);
      await none;

      const bin = waitFor<[Buffer]>(onOurs.client, "bin");
      emitter.emit("bin", Buffer.from([4, 5]));
      expect([...new Uint8Array((await bin)[0])]).toEqual([4, 5]);

      const large = "E".repeat(9000);
      got = waitFor(onOurs.client, "large");
      emitter.emit("large", large);
      expect(await got).toEqual([large]);

      emitter.in(other.socket.id).socketsJoin("joined");
      // The emitter sends from a pool too: the emit to the room waits for the join to land.
      await until(() => other.socket.rooms.has("joined") || undefined, 2000, "the join on our node");
      got = waitFor(other.client, "joined");
      emitter.to("joined").emit("joined");
      await got;
      expect(other.socket.rooms.has("joined")).toBe(true);

      const heard = waitFor(ours.io.of("/"), "from-emitter");
      emitter.serverSideEmit("from-emitter", "hello");
      expect(await heard).toEqual(["hello"]);

      const gone = waitFor(other.client, "disconnect");
      emitter.in("joined").disconnectSockets();
      expect(await gone).toEqual(["io server disconnect"]);
      // The emitter is no node.
      expect(await ours.io.of("/").adapter.serverCount()).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
