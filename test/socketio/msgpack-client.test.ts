// The real socket.io-client with `parser: socket.io-msgpack-parser` against our Server (no option:
// both formats at once): websocket, polling and polling→websocket; events and acks both ways, binary,
// namespaces and connect errors, volatile emits, and connection state recovery.
import { describe, expect, test } from "bun:test";
import * as msgpackParser from "socket.io-msgpack-parser";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import {
  bytesOf,
  type ClientOptions,
  type ClientSocket,
  connectPair,
  FAST_HEARTBEAT,
  record,
  type SioHarness,
  startSio,
  until,
  waitFor,
} from "../support/sio-client.ts";

const MSGPACK: ClientOptions = { parser: msgpackParser };

const TRANSPORTS: { name: string; options: ClientOptions }[] = [
  { name: "websocket", options: { ...MSGPACK, transports: ["websocket"] } },
  { name: "polling", options: { ...MSGPACK, transports: ["polling"] } },
  { name: "polling then websocket", options: { ...MSGPACK, transports: ["polling", "websocket"] } },
];

type Ack = (...args: unknown[]) => void;

describe.each(TRANSPORTS)("a msgpack client over $name", ({ name, options }) => {
  test("connects, and events, acks and binary go both ways", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.on("connection", (socket) => {
      socket.emit("hello", { n: 1, s: "héllo 😀", arr: [1, null, true], nested: { deep: [{ x: -2.5 }] } });
      socket.on("echo", (value: unknown, ack: Ack) => ack(value));
      socket.on("bin", (payload: { buf: unknown; list: unknown[] }, ack: Ack) => {
        ack({ kinds: [Buffer.isBuffer(payload.buf), Buffer.isBuffer(payload.list[0])], reversed: Buffer.from(bytesOf(payload.buf).reverse()) });
      });
    });
    const client = h.client("/", options);
    const hello = waitFor<[unknown]>(client, "hello");
    const upgraded = name === "polling then websocket" ? waitFor(client.io.engine, "upgrade", 3000) : undefined;
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const [socket] = await connection;
    expect(socket.client.parser).toBe("msgpack");
    expect((await hello)[0]).toEqual({ n: 1, s: "héllo 😀", arr: [1, null, true], nested: { deep: [{ x: -2.5 }] } });

    expect(await client.timeout(2000).emitWithAck("echo", { a: [1, "two", false, null] })).toEqual({ a: [1, "two", false, null] });
    const binAck = (await client.timeout(2000).emitWithAck("bin", { buf: Buffer.from([1, 2, 3]), list: [new Uint8Array([4])] })) as {
      kinds: boolean[];
      reversed: unknown;
    };
    expect(binAck.kinds).toEqual([true, true]);
    expect(bytesOf(binAck.reversed)).toEqual([3, 2, 1]);

    client.on("question", (x: number, ack: Ack) => ack(x * 2, Buffer.from([x])));
    const answer = await socket.timeout(2000).emitWithAck("question", 21);
    expect(answer).toBe(42);

    const down = waitFor<[{ label: string; payload: unknown }]>(client, "bin-down");
    socket.emit("bin-down", { label: "down", payload: Buffer.from([9, 8]) });
    const [received] = await down;
    expect(received.label).toBe("down");
    expect(bytesOf(received.payload)).toEqual([9, 8]);

    if (upgraded) {
      await upgraded;
      // The client reports the upgrade once it sent its upgrade packet; the server switches on reading it.
      await until(() => (socket.conn.transport === "websocket" ? true : undefined), 2000, "the server side of the upgrade");
      expect(await client.timeout(2000).emitWithAck("echo", "after upgrade")).toBe("after upgrade");
    }
    const gone = waitFor<[string]>(socket, "disconnect");
    client.disconnect();
    expect((await gone)[0]).toBe("client namespace disconnect");
  });

  test("namespaces: a second one multiplexed, an unknown one and a middleware refusal as connect_error", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.of("/custom").on("connection", (socket) => socket.on("where", (ack: Ack) => ack(socket.nsp.name)));
    h.io.of("/locked").use((_socket, next) => next(Object.assign(new Error("not allowed"), { data: { code: 403 } })));
    const main = await h.connect("/", options);
    const custom = await h.multiplex(main, "/custom");
    expect(await custom.timeout(2000).emitWithAck("where")).toBe("/custom");

    const unknown = h.client("/nowhere", options);
    const [unknownError] = await waitFor<[Error]>(unknown, "connect_error");
    expect(unknownError.message).toBe("Invalid namespace");

    const locked = h.client("/locked", options);
    const [lockedError] = await waitFor<[Error & { data?: unknown }]>(locked, "connect_error");
    expect(lockedError.message).toBe("not allowed");
    expect(lockedError.data).toEqual({ code: 403 });
  });

  // Volatile may drop a packet while the transport cannot take it (polling with no GET waiting):
  // each emit waits until the server reports the transport writable.
  test("volatile emits reach a writable client", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    const writable = () => until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    await writable();
    const direct = waitFor<[number]>(client, "v-direct");
    socket.volatile.emit("v-direct", 1);
    expect((await direct)[0]).toBe(1);
    await writable();
    const broadcast = waitFor<[number]>(client, "v-all");
    h.io.volatile.emit("v-all", 2);
    expect((await broadcast)[0]).toBe(2);
  });
});

describe("connection state recovery for a msgpack client", () => {
  test("a dropped websocket comes back recovered, with the broadcasts it missed", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectionStateRecovery: { maxDisconnectionDuration: 2000 } });
    h.io.on("connection", (socket) => {
      if (!socket.recovered) socket.join("room");
    });
    const { client, socket } = await connectPair(h, { ...MSGPACK, transports: ["websocket"], reconnectionDelay: 300, reconnectionDelayMax: 300 });
    const firstId = socket.id;
    const welcome = waitFor(client, "welcome");
    h.io.emit("welcome");
    await welcome;

    const missed = record(client, "missed");
    const serverGone = waitFor(socket, "disconnect");
    const back = waitFor(client, "connect", 3000);
    client.io.engine.close();
    await serverGone;
    h.io.to("room").emit("missed", 1);
    h.io.emit("missed", { bytes: Buffer.from([2]) });
    await back;
    expect(client.id).toBe(firstId);
    expect(client.recovered).toBe(true);
    await until(() => (missed.length >= 2 ? true : undefined), 1000, "two missed broadcasts");
    expect(missed[0]?.[0]).toBe(1);
    expect(bytesOf((missed[1]?.[0] as { bytes: unknown }).bytes)).toEqual([2]);
  });
});
