// The real socket.io-client against our Server: events both ways with every JSON shape, acks both
// ways (callbacks, timeouts, emitWithAck), binary both ways and in acks, catch-all listeners,
// per-packet middleware, once/off, and handler exceptions that must not cost the connection.
import { describe, expect, test } from "bun:test";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import {
  bytesOf,
  type ClientOptions,
  type ClientSocket,
  connectPair,
  FAST_HEARTBEAT,
  record,
  roundTrip,
  type SioHarness,
  startSio,
  until,
  waitFor,
  withTimeout,
} from "../support/sio-client.ts";

type Ack = (...args: unknown[]) => void;

const TRANSPORTS: { name: string; options: ClientOptions }[] = [
  { name: "polling", options: { transports: ["polling"] } },
  { name: "websocket", options: { transports: ["websocket"] } },
];

function isClientBinary(value: unknown): boolean {
  return value instanceof ArrayBuffer || Buffer.isBuffer(value);
}

function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") throw new Error(`no ${String(key)} in ${String(current)}`);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

const PAYLOADS: { label: string; args: unknown[] }[] = [
  { label: "string", args: ["hello"] },
  { label: "empty string", args: [""] },
  { label: "numbers", args: [0, 42, -7, 3.25, 1e21, Number.MAX_SAFE_INTEGER] },
  { label: "booleans", args: [true, false] },
  { label: "null", args: [null] },
  { label: "nested object", args: [{ a: { b: { c: [1, { d: "deep" }] } }, empty: {}, list: [] }] },
  { label: "arrays", args: [[1, "two", null, [3, [4]], { five: 5 }]] },
  { label: "unicode", args: ["héllo wörld 😀 日本語 עברית \u0000 \u2028 \ud83d\ude00", { "clé ✓": "välue" }] },
  { label: "several args", args: ["a", 1, { b: 2 }, [3], null, true] },
  { label: "no args", args: [] },
  { label: "a large string", args: ["x".repeat(200_000)] },
];

describe.each(TRANSPORTS)("payloads over $name", ({ options }) => {
  test("client → server and server → client, every JSON shape arrives unchanged", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    for (const { label, args } of PAYLOADS) {
      const atServer = waitFor<unknown[]>(socket, `c2s:${label}`);
      client.emit(`c2s:${label}`, ...args);
      expect(await atServer).toEqual(args);
      const atClient = waitFor<unknown[]>(client, `s2c:${label}`);
      socket.emit(`s2c:${label}`, ...args);
      expect(await atClient).toEqual(args);
    }
  });

  test("binary both ways: Buffer, Uint8Array and ArrayBuffer nested in objects and arrays", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);

    const atServer = waitFor<unknown[]>(socket, "upload");
    client.emit(
      "upload",
      {
        name: "file",
        buf: Buffer.from([1, 2, 3]),
        list: [new Uint8Array([4, 5]), { deep: new Uint8Array([6, 7, 8]).buffer }],
      },
      new Uint8Array([255, 0, 128]),
      "trailing text",
    );
    const received = await atServer;
    expect(received).toHaveLength(3);
    const first = received[0];
    expect(field(first, "name")).toBe("file");
    for (const [path, bytes] of [
      [["buf"], [1, 2, 3]],
      [["list", 0], [4, 5]],
      [["list", 1, "deep"], [6, 7, 8]],
    ] as const) {
      const value = field(first, ...path);
      // socket.io hands binary to server handlers as Buffer.
      expect(Buffer.isBuffer(value)).toBe(true);
      expect(bytesOf(value)).toEqual([...bytes]);
    }
    expect(Buffer.isBuffer(received[1])).toBe(true);
    expect(bytesOf(received[1])).toEqual([255, 0, 128]);
    expect(received[2]).toBe("trailing text");

    const atClient = waitFor<unknown[]>(client, "download");
    const bigBlob = new Uint8Array(100_000).map((_, i) => i % 251);
    socket.emit("download", {
      buf: Buffer.from([9, 10]),
      arr: [new Uint8Array([11]), new Uint8Array([12, 13]).buffer, "text", 14],
      nested: { empty: new Uint8Array(0), big: bigBlob },
    });
    const [down] = await atClient;
    for (const [path, bytes] of [
      [["buf"], [9, 10]],
      [["arr", 0], [11]],
      [["arr", 1], [12, 13]],
      [["nested", "empty"], []],
    ] as const) {
      const value = field(down, ...path);
      expect(isClientBinary(value)).toBe(true);
      expect(bytesOf(value)).toEqual([...bytes]);
    }
    expect(field(down, "arr", 2)).toBe("text");
    expect(field(down, "arr", 3)).toBe(14);
    expect(bytesOf(field(down, "nested", "big"))).toEqual([...bigBlob]);
  });

  test("binary in acks both ways", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    socket.on("get-bytes", (n: number, ack: Ack) => ack({ bytes: Buffer.from([n, n + 1]) }, new Uint8Array([7]).buffer));
    const [answer, extra] = (await new Promise<unknown[]>((resolve) => client.emit("get-bytes", 40, (...args: unknown[]) => resolve(args))));
    expect(isClientBinary(field(answer, "bytes"))).toBe(true);
    expect(bytesOf(field(answer, "bytes"))).toEqual([40, 41]);
    expect(bytesOf(extra)).toEqual([7]);

    client.on("give-bytes", (label: string, ack: Ack) => ack(label, { payload: new Uint8Array([1, 2, 250]) }));
    const fromClient = await withTimeout(
      new Promise<unknown[]>((resolve) => socket.emit("give-bytes", "x", (...args: unknown[]) => resolve(args))),
      1000,
      "client ack with binary",
    );
    expect(fromClient[0]).toBe("x");
    const payload = field(fromClient[1], "payload");
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(bytesOf(payload)).toEqual([1, 2, 250]);
  });
});

describe("acks", () => {
  test("client emit(…, cb): the server's ack reaches the callback with every argument", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    socket.on("sum", (a: number, b: number, ack: Ack) => ack(a + b, { of: [a, b] }, "done"));
    const args = await withTimeout(
      new Promise<unknown[]>((resolve) => client.emit("sum", 2, 3, (...response: unknown[]) => resolve(response))),
      1000,
      "ack",
    );
    expect(args).toEqual([5, { of: [2, 3] }, "done"]);
  });

  test("an ack with no arguments, and a server acking twice, reach the client once", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    socket.on("twice", (ack: Ack) => {
      ack();
      ack("second");
    });
    const calls: unknown[][] = [];
    client.emit("twice", (...args: unknown[]) => calls.push(args));
    await until(() => (calls.length > 0 ? true : undefined), 1000, "first ack");
    // Sentinel: a second ACK would have been sent before the answer to this round trip.
    await roundTrip(client, socket);
    expect(calls).toEqual([[]]);
  });

  test("server socket.emit(…, cb): the client's ack reaches the callback", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    client.on("question", (q: string, ack: Ack) => ack(`answer to ${q}`, 42));
    const args = await withTimeout(
      new Promise<unknown[]>((resolve) => socket.emit("question", "life", (...response: unknown[]) => resolve(response))),
      1000,
      "client ack",
    );
    expect(args).toEqual(["answer to life", 42]);
  });

  test("server socket.timeout(100).emit with a client that never acks: err 'operation has timed out' after ~100 ms", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const got = waitFor<unknown[]>(client, "silent");
    client.on("silent", () => {
      /* never acks */
    });
    const started = Date.now();
    const result = await withTimeout(
      new Promise<unknown[]>((resolve) => socket.timeout(100).emit("silent", 1, (...args: unknown[]) => resolve(args))),
      1000,
      "timeout callback",
    );
    const elapsed = Date.now() - started;
    await got;
    expect(result).toHaveLength(1);
    expect(result[0]).toBeInstanceOf(Error);
    expect((result[0] as Error).message).toBe("operation has timed out");
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(client.connected).toBe(true);
  });

  test("server socket.timeout(…).emit with a client that acks: cb(null, …response), once", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    client.on("fast", (ack: Ack) => ack("ok", 2));
    const calls: unknown[][] = [];
    const first = new Promise<void>((resolve) =>
      socket.timeout(150).emit("fast", (...args: unknown[]) => {
        calls.push(args);
        resolve();
      }),
    );
    await withTimeout(first, 1000, "ack");
    // Past the timeout: the timer must not fire a second call. Sentinel: an emit with the same
    // timeout started later, never acked, times out after the first one's timer would have fired.
    client.on("unanswered", () => {
      /* never acks */
    });
    const sentinel = new Promise<unknown[]>((resolve) => socket.timeout(150).emit("unanswered", (...args: unknown[]) => resolve(args)));
    const [timedOut] = await withTimeout(sentinel, 1000, "the sentinel's timeout");
    expect((timedOut as Error).message).toBe("operation has timed out");
    expect(calls).toEqual([[null, "ok", 2]]);
  });

  test("server emitWithAck resolves with the client's answer; with timeout() it rejects when the client stays silent", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    client.on("ask", (x: number, ack: Ack) => ack(x * 2));
    client.on("ignore", () => {
      /* never acks */
    });
    expect(await withTimeout(socket.emitWithAck("ask", 21), 1000, "emitWithAck")).toBe(42);
    expect(await withTimeout(socket.timeout(500).emitWithAck("ask", 5), 1000, "emitWithAck with timeout")).toBe(10);
    const rejected = await withTimeout(
      socket.timeout(100).emitWithAck("ignore").then(
        () => "resolved",
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      1000,
      "emitWithAck rejection",
    );
    expect(rejected).toBe("operation has timed out");
  });

  test("client emitWithAck, and client timeout().emitWithAck against a server that never acks", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    socket.on("double", (x: number, ack: Ack) => ack(x * 2));
    socket.on("nothing", () => {
      /* never acks */
    });
    expect(await withTimeout(client.emitWithAck("double", 4), 1000, "client emitWithAck")).toBe(8);
    expect(await client.timeout(500).emitWithAck("double", 8)).toBe(16);
    const error = await client
      .timeout(100)
      .emitWithAck("nothing")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("operation has timed out");
    expect(client.connected).toBe(true);
  });

  test("acking after the client disconnected is harmless", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const pending = waitFor<[Ack]>(socket, "later");
    client.emit("later", () => undefined);
    const [ack] = await pending;
    const gone = waitFor(socket, "disconnect");
    client.disconnect();
    await gone;
    expect(() => ack("too late")).not.toThrow();
    expect(socket.connected).toBe(false);
  });

  test("pending server acks are dropped on disconnect: no callback later", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    client.on("hang", () => {
      /* never acks */
    });
    const calls: unknown[][] = [];
    socket.emit("hang", (...args: unknown[]) => calls.push(args));
    await waitFor(client, "hang");
    const gone = waitFor(socket, "disconnect");
    client.disconnect();
    await gone;
    // Sentinel: a round trip of another client; work the disconnect left behind has run by then.
    const other = await connectPair(h);
    await roundTrip(other.client, other.socket);
    expect(calls).toEqual([]);
  });
});

describe("catch-all listeners", () => {
  test("onAny sees every incoming event with its args; prependAny runs first; offAny(listener) and offAny() remove", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const order: string[] = [];
    const seenByAny: unknown[][] = [];
    const any = (event: string, ...args: unknown[]) => {
      order.push(`any:${event}`);
      seenByAny.push([event, ...args]);
    };
    const prepended = (event: string) => order.push(`prepended:${event}`);
    socket.onAny(any);
    socket.prependAny(prepended);
    expect(socket.listenersAny()).toEqual([prepended, any]);

    const handled = waitFor(socket, "first");
    client.emit("first", 1, { two: 2 });
    await handled;
    expect(seenByAny).toEqual([["first", 1, { two: 2 }]]);
    expect(order).toEqual(["prepended:first", "any:first"]);

    socket.offAny(prepended);
    const second = waitFor(socket, "second");
    client.emit("second");
    await second;
    expect(order).toEqual(["prepended:first", "any:first", "any:second"]);

    socket.offAny();
    expect(socket.listenersAny()).toEqual([]);
    const third = waitFor(socket, "third");
    client.emit("third");
    await third;
    expect(order).toHaveLength(3);
  });

  test("onAny also sees events that have no specific handler, and events with an ack get the ack function", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const seen = new Promise<unknown[]>((resolve) => socket.onAny((...args: unknown[]) => resolve(args)));
    const acked = new Promise<unknown[]>((resolve) => client.emit("unhandled", "v", (...args: unknown[]) => resolve(args)));
    const args = await withTimeout(seen, 1000, "onAny");
    expect(args[0]).toBe("unhandled");
    expect(args[1]).toBe("v");
    expect(typeof args[2]).toBe("function");
    (args[2] as Ack)("acked from onAny");
    expect(await withTimeout(acked, 1000, "ack from onAny")).toEqual(["acked from onAny"]);
  });

  test("onAnyOutgoing sees the server's own emits (without the ack function); offAnyOutgoing removes", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const outgoing: unknown[][] = [];
    const listener = (...args: unknown[]) => outgoing.push(args);
    socket.onAnyOutgoing(listener);
    client.on("needs-ack", (ack: Ack) => ack());
    const arrived = waitFor(client, "out");
    socket.emit("out", 1, { two: [2] });
    await arrived;
    await withTimeout(socket.emitWithAck("needs-ack"), 1000, "ack");
    expect(outgoing).toEqual([["out", 1, { two: [2] }], ["needs-ack"]]);
    socket.offAnyOutgoing(listener);
    const again = waitFor(client, "out");
    socket.emit("out", 3);
    await again;
    expect(outgoing).toHaveLength(2);
  });
});

describe("socket.use (per-packet middleware)", () => {
  test("middlewares run in order and can modify the packet", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const order: string[] = [];
    socket.use((packet, next) => {
      order.push(`first:${String(packet[0])}`);
      packet[1] = `${String(packet[1])}+first`;
      next();
    });
    socket.use((packet, next) => {
      order.push("second");
      // Asynchronous next (in a later event-loop turn) is allowed.
      setImmediate(() => {
        packet[1] = `${String(packet[1])}+second`;
        next();
      });
    });
    const handled = waitFor<unknown[]>(socket, "msg");
    client.emit("msg", "original", 7);
    expect(await handled).toEqual(["original+first+second", 7]);
    expect(order).toEqual(["first:msg", "second"]);
  });

  test("next(err) refuses the packet: the handler does not run, the server socket emits 'error', the connection stays", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    socket.use(([event], next) => {
      if (event === "forbidden") next(new Error("not allowed"));
      else next();
    });
    const handled = record(socket, "forbidden");
    const errors = waitFor<[Error]>(socket, "error");
    client.emit("forbidden", 1);
    const [error] = await errors;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("not allowed");
    expect(handled).toEqual([]);
    socket.on("allowed", (ack: Ack) => ack("fine"));
    expect(await withTimeout(client.emitWithAck("allowed"), 1000, "allowed event")).toBe("fine");
    expect(client.connected).toBe(true);
    expect(socket.connected).toBe(true);
  });

  test("a middleware that never calls next swallows the packet", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    // Drops everything but the sentinel.
    socket.use(([event], next) => {
      if (String(event).startsWith("sentinel-")) next();
    });
    const lost = record(socket, "lost");
    client.emit("lost");
    await roundTrip(client, socket);
    expect(lost).toEqual([]);
  });
});

describe("listeners", () => {
  test("server once() fires for the first event only; off(event, fn) and off(event) remove", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const onceCalls: unknown[] = [];
    socket.once("tick", (n: number) => onceCalls.push(n));
    const offCalls: unknown[] = [];
    const removed = (n: number) => offCalls.push(n);
    socket.on("tock", removed);
    socket.off("tock", removed);
    const kept: unknown[] = [];
    socket.on("tock", (n: number) => kept.push(n));
    const barrier = record(socket, "barrier");
    client.emit("tick", 1);
    client.emit("tick", 2);
    client.emit("tock", 3);
    client.emit("barrier");
    await waitFor(socket, "barrier");
    expect(barrier).toHaveLength(1);
    expect(onceCalls).toEqual([1]);
    expect(offCalls).toEqual([]);
    expect(kept).toEqual([3]);

    socket.off("tock");
    client.emit("tock", 4);
    client.emit("barrier");
    await waitFor(socket, "barrier");
    expect(kept).toEqual([3]);
  });

  test('listeners named "__proto__", "constructor", "toString", "hasOwnProperty" are called and removed like any other', async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty"];
    expect(names.map((name) => socket.listeners(name).length)).toEqual([0, 0, 0, 0]);
    const calls: string[] = [];
    for (const name of names) socket.on(name, (n: number) => calls.push(`${name}:${n}`));
    expect(names.map((name) => socket.listeners(name).length)).toEqual([1, 1, 1, 1]);
    for (const name of names) client.emit(name, 1);
    client.emit("barrier");
    await waitFor(socket, "barrier");
    expect(calls).toEqual(["__proto__:1", "constructor:1", "toString:1", "hasOwnProperty:1"]);

    for (const name of names) socket.off(name);
    expect(names.map((name) => socket.listeners(name).length)).toEqual([0, 0, 0, 0]);
    for (const name of names) client.emit(name, 2);
    client.emit("barrier");
    await waitFor(socket, "barrier");
    expect(calls).toHaveLength(4);
  });

  test("a once() listener can be removed with off() before it fires", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const calls: unknown[] = [];
    const listener = () => calls.push("called");
    socket.once("maybe", listener);
    socket.off("maybe", listener);
    client.emit("maybe");
    client.emit("barrier");
    await waitFor(socket, "barrier");
    expect(calls).toEqual([]);
  });

  test("client once()/off() receive server emits accordingly", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const once: unknown[] = [];
    client.once("news", (n: number) => once.push(n));
    socket.emit("news", 1);
    socket.emit("news", 2);
    socket.emit("barrier");
    await waitFor(client, "barrier");
    expect(once).toEqual([1]);
  });

  test("client send() reaches the server's 'message' handler and server send() the client's", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const atServer = waitFor<unknown[]>(socket, "message");
    client.send("hi", 1);
    expect(await atServer).toEqual(["hi", 1]);
    const atClient = waitFor<unknown[]>(client, "message");
    socket.send({ back: true });
    expect(await atClient).toEqual([{ back: true }]);
  });
});

describe("robustness", () => {
  test("a throwing handler, a rejecting async handler and a throwing ack callback do not disconnect", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    socket.on("boom", () => {
      throw new Error("handler exploded (expected in this test)");
    });
    socket.on("async-boom", async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      throw new Error("async handler exploded (expected in this test)");
    });
    socket.on("ping-me", (ack: Ack) => ack("pong"));
    client.on("please-ack", (ack: Ack) => ack());
    const disconnects = record(client, "disconnect");
    client.emit("boom");
    client.emit("async-boom");
    const ackThrew = new Promise<void>((resolve) =>
      socket.emit("please-ack", () => {
        resolve();
        throw new Error("ack callback exploded (expected in this test)");
      }),
    );
    await withTimeout(ackThrew, 1000, "ack");
    expect(await withTimeout(client.emitWithAck("ping-me"), 1000, "ping-me")).toBe("pong");
    await roundTrip(client, socket);
    expect(disconnects).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  test("a client event named 'error' does not reach the server's error listener nor crash it", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    const errors = record(socket, "error");
    socket.on("ping-me", (ack: Ack) => ack("pong"));
    client.emit("error", "from the client");
    expect(await withTimeout(client.emitWithAck("ping-me"), 1000, "ping-me")).toBe("pong");
    expect(errors).toEqual([]);
    expect(client.connected).toBe(true);
  });

  test("server emit of a reserved event name throws; other emits still work", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h);
    for (const name of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
      expect(() => socket.emit(name)).toThrow(/reserved/);
      expect(() => h.io.emit(name)).toThrow(/reserved/);
    }
    const fine = waitFor(client, "fine");
    socket.emit("fine");
    await fine;
  });

  // Volatile means "may be dropped when the transport cannot take it now" (socket.io: not writable,
  // e.g. polling with no GET waiting). What is checked: once the server side reports the transport
  // writable, a volatile emit is delivered (over polling and over websocket).
  test.each(TRANSPORTS)("volatile and compress(false) emits reach a connected, writable client ($name)", async ({ options }) => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    await until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    const volatile = waitFor<unknown[]>(client, "v");
    socket.volatile.emit("v", 1);
    expect(await volatile).toEqual([1]);
    const compressed = waitFor<unknown[]>(client, "c");
    socket.compress(false).emit("c", 2);
    expect(await compressed).toEqual([2]);
  });
});
