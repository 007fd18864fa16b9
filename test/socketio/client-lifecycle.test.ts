// Lifecycle with the real socket.io-client: disconnect reasons on both sides, reconnection (or
// not), ping timeout, io.close(), connectTimeout, `disconnecting` with rooms still readable, and
// connection state recovery (same id, rooms, data, missed broadcasts; a new session once the
// window has passed or for non-recoverable reasons).
import { describe, expect, test } from "bun:test";
import { Manager } from "socket.io-client";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import {
  CLIENT_DEFAULTS,
  type ClientOptions,
  type ClientSocket,
  connectPair,
  FAST_HEARTBEAT,
  reconnectionControl,
  record,
  sentinelFrom,
  SHORT_PING_TIMEOUT,
  type SioHarness,
  startSio,
  until,
  waitFor,
  withTimeout,
} from "../support/sio-client.ts";

const TRANSPORTS: { name: string; options: ClientOptions }[] = [
  { name: "polling", options: { transports: ["polling"] } },
  { name: "websocket", options: { transports: ["websocket"] } },
];

/** What the server socket saw when it went: rooms during `disconnecting` and during `disconnect`. */
function watchDeparture(socket: ServerSocket) {
  const seen: { event: string; reason: string; rooms: string[] }[] = [];
  socket.on("disconnecting", (reason) => seen.push({ event: "disconnecting", reason, rooms: [...socket.rooms].sort() }));
  socket.on("disconnect", (reason) => seen.push({ event: "disconnect", reason, rooms: [...socket.rooms].sort() }));
  return seen;
}

describe.each(TRANSPORTS)("disconnect reasons over $name", ({ options }) => {
  test("client socket.disconnect(): server 'client namespace disconnect', client 'io client disconnect'; disconnecting sees the rooms", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    socket.join(["a", "b"]);
    const departure = watchDeparture(socket);
    const clientReason = waitFor<[string]>(client, "disconnect");
    const serverGone = waitFor(socket, "disconnect");
    client.disconnect();
    expect((await clientReason)[0]).toBe("io client disconnect");
    await serverGone;
    expect(departure).toEqual([
      { event: "disconnecting", reason: "client namespace disconnect", rooms: [socket.id, "a", "b"].sort() },
      { event: "disconnect", reason: "client namespace disconnect", rooms: [] },
    ]);
    expect(socket.connected).toBe(false);
    expect(socket.disconnected).toBe(true);
    expect(h.io.of("/").adapter.rooms.size).toBe(0);
  });

  test("server socket.disconnect(): client 'io server disconnect' and no auto-reconnect; server 'server namespace disconnect'", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    socket.join("room");
    const departure = watchDeparture(socket);
    const attempts = record(client.io, "reconnect_attempt");
    const connects = record(client, "connect");
    const clientReason = waitFor<[string]>(client, "disconnect");
    socket.disconnect();
    expect((await clientReason)[0]).toBe("io server disconnect");
    expect(departure).toEqual([
      { event: "disconnecting", reason: "server namespace disconnect", rooms: [socket.id, "room"].sort() },
      { event: "disconnect", reason: "server namespace disconnect", rooms: [] },
    ]);
    expect(client.active).toBe(false);
    // Sentinel: a control client dropped after this one reconnects; a reconnection of this one would come first.
    await reconnectionControl(h, "/", options);
    expect(connects).toEqual([]);
    expect(attempts).toEqual([]);
    // A second disconnect() is a no-op.
    expect(() => socket.disconnect()).not.toThrow();
    expect(departure).toHaveLength(2);
  });

  test("server socket.disconnect(true): the engine connection closes too; the client does not reconnect", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    const departure = watchDeparture(socket);
    const clientReasons = record(client, "disconnect");
    const attempts = record(client.io, "reconnect_attempt");
    const connects = record(client, "connect");
    const managerClosed = waitFor<[string]>(client.io, "close");
    // Polling: a GET is waiting, so the DISCONNECT goes out at once.
    await until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    socket.disconnect(true);
    await managerClosed;
    await until(() => (clientReasons.length > 0 ? true : undefined), 1000, "client disconnect");
    expect(departure.map((d) => [d.event, d.reason])).toEqual([
      ["disconnecting", "server namespace disconnect"],
      ["disconnect", "server namespace disconnect"],
    ]);
    expect(socket.conn.closed).toBe(true);
    await until(() => (h.io.engine.clientsCount === 0 ? true : undefined), 1000, "engine session gone");
    await reconnectionControl(h, "/", options);
    expect(connects).toEqual([]);
    expect(clientReasons).toEqual([["io server disconnect"]]);
    expect(attempts).toEqual([]);
  });

  test("server emit then socket.disconnect(true) at once: the client gets the event, then 'io server disconnect', and stays away", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    const byes = record(client, "bye");
    const clientReasons = record(client, "disconnect");
    const attempts = record(client.io, "reconnect_attempt");
    const connects = record(client, "connect");
    await until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    // Over polling the emit takes the waiting GET, so the DISCONNECT and the close wait for the next one.
    socket.emit("bye", "see you");
    socket.disconnect(true);
    await until(() => (clientReasons.length > 0 ? true : undefined), 1000, "client disconnect");
    await reconnectionControl(h, "/", options); // sentinel: no reconnection before the control's
    expect(byes).toEqual([["see you"]]);
    expect(clientReasons).toEqual([["io server disconnect"]]);
    expect(attempts).toEqual([]);
    expect(connects).toEqual([]);
  });

  test("io.close(): server sockets get 'server shutting down', the client 'transport close'", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    socket.join("room");
    const departure = watchDeparture(socket);
    const clientReason = waitFor<[string]>(client, "disconnect");
    // Polling: with a GET waiting, the close packet goes out in it.
    await until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    await h.io.close();
    expect((await clientReason)[0]).toBe("transport close");
    expect(departure).toEqual([
      { event: "disconnecting", reason: "server shutting down", rooms: [socket.id, "room"].sort() },
      { event: "disconnect", reason: "server shutting down", rooms: [] },
    ]);
    expect(h.io.engine.clientsCount).toBe(0);
    // The client tries to come back but the server refuses new sessions once closed.
    client.io.reconnection(false);
  });

  test("io.close() right after an emit: the client gets the event, then a transport-level disconnect", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, options);
    const departure = watchDeparture(socket);
    const byes = record(client, "bye");
    const clientReason = waitFor<[string]>(client, "disconnect");
    await until(() => (socket.conn.writable ? true : undefined), 1000, "writable transport");
    socket.emit("bye");
    await h.io.close();
    const [reason] = await clientReason;
    client.io.reconnection(false);
    // socket.io answers the next GET with a close packet ("transport close"); a server that lets
    // that GET fail (400) gives "transport error". Both are transport-level (the client reconnects).
    expect(["transport close", "transport error"]).toContain(reason);
    expect(byes).toEqual([[]]);
    expect(departure.map((d) => d.reason)).toEqual(["server shutting down", "server shutting down"]);
  });
});

describe("heartbeat and timeouts", () => {
  test("a client that stops answering pings: server 'ping timeout' after pingInterval + pingTimeout; the client then reconnects", async () => {
    await using h = startSio(SHORT_PING_TIMEOUT);
    const { client, socket } = await connectPair(h, { transports: ["websocket"] });
    // engine.io-client answers a ping from _sendPacket("pong"); drop those answers on this engine.
    const engine = client.io.engine as unknown as { _sendPacket: (type: string, ...rest: unknown[]) => void };
    const original = engine._sendPacket.bind(engine);
    let dropped = 0;
    engine._sendPacket = (type, ...rest) => {
      if (type === "pong") {
        dropped++;
        return;
      }
      original(type, ...rest);
    };
    const started = Date.now();
    const serverReason = waitFor<[string]>(socket, "disconnect", 2000);
    const clientReason = waitFor<[string]>(client, "disconnect", 2000);
    const reconnected = waitFor(client.io, "reconnect", 3000);
    expect((await serverReason)[0]).toBe("ping timeout");
    const elapsed = Date.now() - started;
    expect(dropped).toBeGreaterThanOrEqual(1);
    // First ping at +300 ms, then 200 ms for the pong: 500 ms (a little less since the session began earlier).
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect((await clientReason)[0]).toBe("transport close");
    await reconnected;
    await until(() => (client.connected ? true : undefined), 1000, "reconnected client");
  });

  test("a healthy client survives several heartbeat rounds", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const { client, socket } = await connectPair(h, { transports: ["polling"] });
    const pings = record(client.io, "ping");
    await until(() => (pings.length >= 3 ? true : undefined), 2000, "three pings");
    expect(client.connected).toBe(true);
    expect(socket.connected).toBe(true);
  });

  test("connectTimeout: an engine connection that never joins a namespace is closed", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectTimeout: 200 });
    const manager = new Manager(h.origin, { ...CLIENT_DEFAULTS, autoConnect: false, reconnection: false });
    try {
      const opened = waitFor(manager, "open");
      manager.open();
      await opened;
      expect(h.io.engine.clientsCount).toBe(1);
      // Closed by the 200 ms connectTimeout: the default (45 s) would not close it within the wait.
      await waitFor(manager, "close", 2000);
      expect(h.io.engine.clientsCount).toBe(0);
    } finally {
      manager._close();
    }
  });
});

describe.each(TRANSPORTS)("connection state recovery over $name", ({ options }) => {
  test("a dropped transport reconnects with the same id, rooms and data, recovered === true, and gets the missed broadcasts", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectionStateRecovery: { maxDisconnectionDuration: 2000 } });
    let middlewareRuns = 0;
    h.io.use((_socket, next) => {
      middlewareRuns++;
      next();
    });
    const connections: { id: string; recovered: boolean }[] = [];
    h.io.on("connection", (socket) => {
      connections.push({ id: socket.id, recovered: socket.recovered });
      if (!socket.recovered) {
        socket.join("room");
        socket.data = { n: 1, tags: ["x"] };
      }
    });
    // Reconnection waits 300 ms: time enough to broadcast while the client is away.
    const { client, socket } = await connectPair(h, { ...options, reconnectionDelay: 300, reconnectionDelayMax: 300 });
    expect(client.recovered === true).toBe(false);
    const firstId = socket.id;
    // Recovery needs one offset-bearing packet first.
    const welcome = waitFor(client, "welcome");
    h.io.emit("welcome");
    await welcome;

    const missed = record(client, "missed");
    const notMine = record(client, "not-mine");
    const volatileWhileAway = record(client, "volatile-away");
    const serverGone = waitFor<[string]>(socket, "disconnect");
    const clientGone = waitFor<[string]>(client, "disconnect");
    const back = waitFor(client, "connect", 3000);
    client.io.engine.close();
    expect((await clientGone)[0]).toBe("forced close");
    expect((await serverGone)[0]).toBe("transport close");
    expect(client.connected).toBe(false);

    h.io.emit("missed", 1);
    h.io.to("room").emit("missed", 2);
    h.io.to(firstId).emit("missed", 3);
    h.io.except("room").emit("not-mine");
    h.io.to("other-room").emit("not-mine");
    h.io.volatile.emit("volatile-away");
    h.io.emit("missed", { four: [4], bytes: Buffer.from([4]) });

    await back;
    expect(client.id).toBe(firstId);
    expect(client.recovered).toBe(true);
    const recovered = h.io.of("/").sockets.get(firstId);
    if (!recovered) throw new Error("no server socket under the old id");
    expect(recovered).not.toBe(socket);
    expect(recovered.recovered).toBe(true);
    expect(recovered.rooms).toEqual(new Set([firstId, "room"]));
    expect(recovered.data).toEqual({ n: 1, tags: ["x"] });
    expect(connections).toEqual([
      { id: firstId, recovered: false },
      { id: firstId, recovered: true },
    ]);
    // skipMiddlewares defaults to true.
    expect(middlewareRuns).toBe(1);

    await until(() => (missed.length >= 4 ? true : undefined), 1000, "four missed broadcasts");
    // Replayed (like every stored broadcast) with its offset appended as a last string argument,
    // which listeners see too (socket.io does the same).
    expect(missed.map((args) => args[0]).slice(0, 3)).toEqual([1, 2, 3]);
    for (const args of missed) {
      expect(args).toHaveLength(2);
      expect(typeof args[1]).toBe("string");
    }
    expect(new Set(missed.map((args) => args[1])).size).toBe(4);
    const fourth = missed[3]?.[0] as { four: number[]; bytes: unknown };
    expect(fourth.four).toEqual([4]);
    const bytes = fourth.bytes instanceof ArrayBuffer ? new Uint8Array(fourth.bytes) : (fourth.bytes as Uint8Array);
    expect([...bytes]).toEqual([4]);
    // Broadcasts after the recovery still arrive, once.
    const after = waitFor<unknown[]>(client, "after");
    h.io.to("room").emit("after", "live");
    const afterArgs = await after;
    expect(afterArgs[0]).toBe("live");
    // Still offset-tagged: a later drop can be recovered again.
    expect(afterArgs).toHaveLength(2);
    expect(typeof afterArgs[1]).toBe("string");
    // Sentinel: a broadcast after all of the above; duplicates, excluded or volatile replays come first.
    await sentinelFrom(h.io, client);
    expect(missed).toHaveLength(4);
    expect(notMine).toEqual([]);
    expect(volatileWhileAway).toEqual([]);
  });

  test("after maxDisconnectionDuration the client gets a new session (recovered false, new id, no rooms)", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectionStateRecovery: { maxDisconnectionDuration: 150 } });
    h.io.on("connection", (socket) => {
      if (!socket.recovered) socket.data = { fresh: true };
    });
    const { client, socket } = await connectPair(h, { ...options, reconnectionDelay: 500, reconnectionDelayMax: 500 });
    socket.join("room");
    const welcome = waitFor(client, "welcome");
    h.io.emit("welcome");
    await welcome;
    const firstId = socket.id;
    const missed = record(client, "missed");
    const serverGone = waitFor(socket, "disconnect");
    const back = waitFor(client, "connect", 3000);
    client.io.engine.close();
    await serverGone;
    h.io.emit("missed");
    await back;
    expect(client.recovered === true).toBe(false);
    expect(client.id).not.toBe(firstId);
    const fresh = h.io.of("/").sockets.get(client.id ?? "");
    expect(fresh?.recovered).toBe(false);
    expect(fresh?.rooms).toEqual(new Set([client.id ?? ""]));
    await sentinelFrom(h.io, client); // a replay of the missed broadcast would come before it
    expect(missed).toEqual([]);
  });
});

describe("connection state recovery: non-recoverable reasons", () => {
  test("after a client disconnect() and connect(), or a server disconnect(), the session is new", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectionStateRecovery: { maxDisconnectionDuration: 2000 } });
    const { client, socket } = await connectPair(h);
    const welcome = waitFor(client, "welcome");
    h.io.emit("welcome");
    await welcome;
    const firstId = socket.id;
    const gone = waitFor(socket, "disconnect");
    client.disconnect();
    await gone;
    const back = waitFor(client, "connect");
    client.connect();
    await back;
    expect(client.id).not.toBe(firstId);
    expect(client.recovered === true).toBe(false);

    const secondId = client.id ?? "";
    const second = h.io.of("/").sockets.get(secondId);
    if (!second) throw new Error("no second socket");
    const again = waitFor(client, "welcome-again");
    h.io.emit("welcome-again");
    await again;
    const kicked = waitFor<[string]>(client, "disconnect");
    second.disconnect();
    expect((await kicked)[0]).toBe("io server disconnect");
    const third = waitFor(client, "connect");
    client.connect();
    await third;
    expect(client.id).not.toBe(secondId);
    expect(client.recovered === true).toBe(false);
  });

  test("a recovered client's acks and events work as before", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, connectionStateRecovery: { maxDisconnectionDuration: 2000 } });
    h.io.on("connection", (socket) => socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value)));
    const { client } = await connectPair(h, { transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 100 });
    const welcome = waitFor(client, "welcome");
    h.io.emit("welcome");
    await welcome;
    const back = waitFor(client, "connect", 3000);
    client.io.engine.close();
    await back;
    expect(client.recovered).toBe(true);
    expect(await withTimeout(client.emitWithAck("echo", { ok: 1 }), 1000, "echo after recovery")).toEqual({ ok: 1 });
  });
});
