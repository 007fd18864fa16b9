// A mixed cluster on one Redis: a stock socket.io Server with @socket.io/redis-adapter (run under
// Bun in this process) and our Server with our Redis adapter. Every cluster feature, both ways; and
// @socket.io/redis-emitter reaching our clients.
import { describe, expect, test } from "bun:test";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as StockServer, type Socket as StockSocket } from "socket.io";
import { io as ioc } from "socket.io-client";
import { rejectionOf } from "../support/promises.ts";
import { CLIENT_DEFAULTS, connected, expectNoEvent, waitFor, type ClientSocket } from "../support/sio-client.ts";
import { redisAvailable, redisClient, startNode, uniqueKey } from "./support.ts";

const available = await redisAvailable("Redis interop tests");

type StockNode = {
  io: StockServer;
  client(): Promise<{ client: ClientSocket; socket: StockSocket }>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** socket.io's own Server and Redis adapter, listening to the bus before it is handed out. */
async function startStock(key: string, setup: (io: StockServer) => void = () => {}): Promise<StockNode> {
  const pub = redisClient();
  const sub = redisClient();
  const http = createServer();
  const io = new StockServer(http, { adapter: createAdapter(pub, sub, { key, requestsTimeout: 2000 }) });
  setup(io);
  // Commands on one connection run in order: once a PING is answered, the adapter's subscriptions are in place.
  await sub.ping();
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
      // The clients leave first, and the server sees them go, before it closes their connections.
      const gone = sockets.filter((socket) => socket.connected).map((socket) => waitFor(socket, "disconnect"));
      for (const client of clients) {
        client.io.reconnection(false);
        client.disconnect();
      }
      await Promise.allSettled(gone);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

describe.skipIf(!available)("Redis adapter interop with socket.io's own adapter", () => {
  test("broadcasts to all, to a room and except a room, both ways, binary included", async () => {
    const key = uniqueKey("interop-bc");
    await using ours = await startNode(key);
    await using stock = await startStock(key);
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
    none = expectNoEvent(onStock.client, "except", 300);
    ours.io.except("r").emit("except", 6);
    await none;

    // A direct emit to a socket of the other kind of node (its own room).
    got = waitFor(onOurs.client, "direct");
    stock.io.to(onOurs.socket.id).emit("direct", "to ours");
    expect(await got).toEqual(["to ours"]);
    got = waitFor(onStock.client, "direct");
    ours.io.to(onStock.socket.id).emit("direct", "to stock");
    expect(await got).toEqual(["to stock"]);
  });

  test("fetchSockets both ways, with rooms and data; remote sockets can be emitted to", async () => {
    const key = uniqueKey("interop-fetch");
    await using ours = await startNode(key);
    await using stock = await startStock(key);
    const onOurs = await ours.client();
    const onStock = await stock.client();
    onOurs.socket.data = { node: "ours" };
    onStock.socket.data = { node: "stock" };
    onOurs.socket.join("ours-room");
    onStock.socket.join("stock-room");

    const fromStock = await stock.io.fetchSockets();
    const oursSeen = fromStock.find((s) => s.id === onOurs.socket.id);
    expect(oursSeen?.data).toEqual({ node: "ours" });
    expect([...(oursSeen?.rooms ?? [])].sort()).toEqual([onOurs.socket.id, "ours-room"].sort());
    expect(fromStock.length).toBe(2);

    const fromOurs = await ours.io.in("stock-room").fetchSockets();
    expect(fromOurs.map((s) => [s.id, s.data])).toEqual([[onStock.socket.id, { node: "stock" }]]);
    expect(fromOurs[0]?.handshake.query.EIO).toBe("4");

    let got = waitFor(onStock.client, "hi");
    fromOurs[0]?.emit("hi", "from ours");
    expect(await got).toEqual(["from ours"]);
    got = waitFor(onOurs.client, "hi");
    oursSeen?.emit("hi", "from stock");
    expect(await got).toEqual(["from stock"]);
  });

  test("socketsJoin, socketsLeave and disconnectSockets both ways", async () => {
    const key = uniqueKey("interop-bulk");
    await using ours = await startNode(key);
    await using stock = await startStock(key);
    const onOurs = await ours.client();
    const onStock = await stock.client();

    ours.io.socketsJoin("j1");
    let got = waitFor(onStock.client, "in-j1");
    ours.io.to("j1").emit("in-j1");
    await got;
    expect(onStock.socket.rooms.has("j1")).toBe(true);

    stock.io.socketsJoin("j2");
    got = waitFor(onOurs.client, "in-j2");
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
    const key = uniqueKey("interop-sse");
    await using ours = await startNode(key, {}, (io) => {
      io.on("ask", (n: unknown, ack: unknown) => {
        if (typeof ack === "function") ack(`ours:${String(n)}`);
      });
    });
    await using stock = await startStock(key, (io) => {
      io.on("ask", (n: unknown, ack: unknown) => {
        if (typeof ack === "function") ack(`stock:${String(n)}`);
      });
    });
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
    const key = uniqueKey("interop-acks");
    await using ours = await startNode(key);
    await using stock = await startStock(key);
    const onOurs = await ours.client();
    const onStock = await stock.client();
    onOurs.client.on("ask", (ack: (v: string) => void) => ack("ours"));
    onStock.client.on("ask", (ack: (v: string) => void) => ack("stock"));
    expect((await ours.io.timeout(2000).emitWithAck("ask")).map(String).sort()).toEqual(["ours", "stock"]);
    expect((await stock.io.timeout(2000).emitWithAck("ask")).map(String).sort()).toEqual(["ours", "stock"]);
    // A remote receiver that stays silent: the stock sender times out as it would among its own.
    onOurs.client.off("ask");
    onOurs.client.on("ask", () => {});
    expect(String(await rejectionOf(stock.io.timeout(300).emitWithAck("ask")))).toContain("operation has timed out");
  });
});

describe.skipIf(!available)("@socket.io/redis-emitter reaches our clients", () => {
  test("emit, to(room), except, binary, socketsJoin, disconnectSockets and serverSideEmit", async () => {
    const key = uniqueKey("emitter");
    await using ours = await startNode(key);
    const onOurs = await ours.client();
    const other = await ours.client();
    onOurs.socket.join("r");
    const publisher = redisClient();
    try {
      const emitter = new Emitter(publisher, { key });

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

      emitter.in(other.socket.id).socketsJoin("joined");
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
    } finally {
      publisher.disconnect();
    }
  });
});
