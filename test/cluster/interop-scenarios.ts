// A mixed cluster, whichever driver carries it (Redis, Postgres): a stock socket.io Server with the
// official adapter (run under Bun in this process) and our Server with ours. Every cluster feature,
// both ways; and the official emitter reaching our clients.
import { expect, test } from "bun:test";
import type { Server as StockServer, Socket as StockSocket } from "socket.io";
import { io as ioc } from "socket.io-client";
import type { Server } from "../../src/socketio/index.ts";
import { rejectionOf } from "../support/promises.ts";
import { CLIENT_DEFAULTS, connected, expectNoEvent, until, waitFor, type ClientSocket } from "../support/sio-client.ts";
import type { ServedNode } from "./support.ts";

export type StockNode = {
  io: StockServer;
  client(): Promise<{ client: ClientSocket; socket: StockSocket }>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** A stock Server already listening at `url`; disposing it disconnects its clients, closes it, then runs `release`. */
export function stockNode(io: StockServer, url: string, release: () => Promise<void> | void): StockNode {
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
      await release();
    },
  };
}

type Listens = { on(event: string, listener: (n: unknown, ack: unknown) => void): unknown };

export type InteropDriver = {
  /** Our node and a stock node in a new cluster of their own, each counting the other once returned. */
  start(setupOurs?: (io: Server) => void, setupStock?: (io: StockServer) => void): Promise<{ ours: ServedNode; stock: StockNode } & AsyncDisposable>;
};

/** Registers the mixed-cluster scenarios as tests of the calling describe block. */
export function interopScenarios(driver: InteropDriver): void {
  test("broadcasts to all, to a room and except a room, both ways, binary and large included", async () => {
    await using nodes = await driver.start();
    const { ours, stock } = nodes;
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
    await using nodes = await driver.start();
    const { ours, stock } = nodes;
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
    await using nodes = await driver.start();
    const { ours, stock } = nodes;
    const onOurs = await ours.client();
    const onStock = await stock.client();

    ours.io.socketsJoin("j1");
    let got = waitFor(onStock.client, "in-j1");
    ours.io.to("j1").emit("in-j1");
    await got;
    expect(onStock.socket.rooms.has("j1")).toBe(true);

    stock.io.socketsJoin("j2");
    got = waitFor(onOurs.client, "in-j2");
    // A stock Postgres node sends from a pool: its join and its emit may overtake each other, so the emit waits for the join.
    await until(() => onOurs.socket.rooms.has("j2") || undefined, 2000, "the join on our node");
    stock.io.to("j2").emit("in-j2");
    await got;
    expect(onOurs.socket.rooms.has("j2")).toBe(true);

    stock.io.socketsLeave("j1");
    // No sentinel from a stock Postgres node: its documents may overtake each other (see above).
    await until(() => (onOurs.socket.rooms.has("j1") ? undefined : true), 2000, "the leave on our node");

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
    const answer = (who: string) => (io: Listens) => {
      io.on("ask", (n, ack) => {
        if (typeof ack === "function") ack(`${who}:${String(n)}`);
      });
    };
    await using nodes = await driver.start(answer("ours"), answer("stock"));
    const { ours, stock } = nodes;
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
    await using nodes = await driver.start();
    const { ours, stock } = nodes;
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
}

/** What the official emitters have in common (both are typed for any event). */
export type EmitterOperator = {
  emit(event: string, ...args: unknown[]): unknown;
  to(room: string): EmitterOperator;
  in(room: string): EmitterOperator;
  except(room: string): EmitterOperator;
  socketsJoin(rooms: string): void;
  disconnectSockets(close?: boolean): void;
};

export type EmitterLike = EmitterOperator & { serverSideEmit(event: string, ...args: unknown[]): void };

/** Registers the emitter scenario: `start` gives our node and an emitter on its bus. */
export function emitterScenario(start: () => Promise<{ ours: ServedNode; emitter: EmitterLike } & AsyncDisposable>): void {
  test("emit, to(room), except, binary, large, socketsJoin, disconnectSockets and serverSideEmit", async () => {
    await using nodes = await start();
    const { ours, emitter } = nodes;
    const onOurs = await ours.client();
    const other = await ours.client();
    onOurs.socket.join("r");

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
    // The Postgres emitter sends from a pool: the emit to the room waits for the join to land.
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
  });
}
