// What the library tells an app's metrics: the observer hooks (events in and out by name, how many
// sockets each broadcast reached, whichever path it took: Bun topic or JS loop) and io.stats()
// (sockets by transport, rooms, pending acks, handshakes and refusals by reason), with real clients.
import { describe, expect, test } from "bun:test";
import { rawRequest, upgradeRequest } from "../support/engine-server.ts";
import { startSio, waitFor, type ClientSocket } from "../support/sio-client.ts";
import type { Socket } from "../../src/socketio/index.ts";

function recorder() {
  const received: unknown[] = [];
  const sent: string[] = [];
  const fanout: number[] = [];
  const observer = {
    eventReceived: (event: unknown) => void received.push(event),
    eventSent: (event: string) => void sent.push(event),
    broadcast: (recipients: number) => void fanout.push(recipients),
  };
  return { observer, received, sent, fanout };
}

/** The server side of a connected client (same id in Socket.IO v5). */
function serverSide(sockets: ReadonlyMap<string, Socket>, client: ClientSocket): Socket {
  const socket = sockets.get(client.id ?? "");
  if (!socket) throw new Error("no such socket on the server");
  return socket;
}

describe("the observer option", () => {
  test("events received and sent are reported by name, once per emit", async () => {
    const r = recorder();
    await using h = startSio({ observer: r.observer });
    h.io.on("connection", (socket) => {
      socket.on("ping", (ack: unknown) => {
        if (typeof ack === "function") ack("pong");
      });
    });
    const client = await h.connect("/");
    client.emit("hello", 1);
    expect(await client.emitWithAck("ping")).toBe("pong");
    expect(r.received).toEqual(["hello", "ping"]);

    const welcome = waitFor(client, "welcome");
    serverSide(h.io.sockets.sockets, client).emit("welcome");
    await welcome;
    h.io.emit("news");
    expect(r.sent).toEqual(["welcome", "news"]);
  });

  test("a broadcast reports the sockets it reached, on the topic path and on the JS path", async () => {
    const r = recorder();
    await using h = startSio({ observer: r.observer });
    const [a, b, c] = [await h.connect("/", { transports: ["websocket"] }), await h.connect("/", { transports: ["websocket"] }), await h.connect("/", { transports: ["websocket"] })];
    const d = await h.connect("/", { transports: ["polling"] });
    const [sa, sb, sc] = [a, b, c].map((client) => serverSide(h.io.sockets.sockets, client)) as [Socket, Socket, Socket];
    sa.join("r");
    sb.join("r");
    sc.join("s");
    const last = () => r.fanout.at(-1);

    h.io.emit("x");
    expect(last()).toBe(4);
    sa.broadcast.emit("x");
    expect(last()).toBe(3);
    h.io.to("r").emit("x");
    expect(last()).toBe(2);
    sa.to("r").emit("x");
    expect(last()).toBe(1);
    sc.to("r").emit("x");
    expect(last()).toBe(2);
    h.io.to(["r", "s"]).emit("x");
    expect(last()).toBe(3);
    h.io.except("r").emit("x");
    expect(last()).toBe(2);
    h.io.to(sa.id).emit("x");
    expect(last()).toBe(1);
    h.io.to("nobody").emit("x");
    expect(last()).toBe(0);
    expect(r.fanout).toHaveLength(9);

    for (const client of [a, b, c, d]) client.on("ackme", (ack: (answer: string) => void) => ack("ok"));
    const answers = await h.io.timeout(2000).emitWithAck("ackme");
    expect(answers).toEqual(["ok", "ok", "ok", "ok"]);
    expect(last()).toBe(4);
  });
});

describe("io.stats()", () => {
  test("sockets by transport, rooms, pending acks, handshakes and Socket.IO refusals", async () => {
    await using h = startSio();
    h.io.of("/guarded").use((_socket, next) => next(new Error("not you")));
    const ws = await h.connect("/", { transports: ["websocket"] });
    const polling = await h.connect("/", { transports: ["polling"] });
    serverSide(h.io.sockets.sockets, ws).join(["room-1", "room-2"]);
    serverSide(h.io.sockets.sockets, polling).join("room-1");
    // An emit whose ack the client never sends.
    serverSide(h.io.sockets.sockets, ws).emit("unanswered", () => {});

    const refused = h.client("/guarded", { reconnection: false });
    await waitFor(refused, "connect_error");
    const invalid = h.client("/nope", { reconnection: false });
    await waitFor(invalid, "connect_error");

    const stats = h.io.stats();
    const main = stats.namespaces.find((nsp) => nsp.name === "/");
    expect(main).toEqual({ name: "/", sockets: { polling: 1, websocket: 1 }, rooms: 2, pendingAcks: 1 });
    expect(stats.namespaces.find((nsp) => nsp.name === "/guarded")?.sockets).toEqual({ polling: 0, websocket: 0 });
    expect(stats.engine.handshakes).toEqual({ polling: 3, websocket: 1 });
    expect(stats.connectRefusals).toEqual({ middleware: 1, invalid_namespace: 1, invalid_auth: 0 });
  });

  test("engine refusals are counted by reason: protocol errors, foreign WebSocket origins, address limits", async () => {
    const APP = "http://app.example";
    await using h = startSio({
      cors: { origin: [APP] },
      addressLimits: { handshakesPerSecond: 0.001, handshakeBurst: 1, pendingSessions: 100 },
    });
    expect((await fetch(`${h.origin}/socket.io/?EIO=4&transport=carrier-pigeon`)).status).toBe(400);
    expect((await fetch(`${h.origin}/socket.io/?EIO=4&transport=polling&sid=unknown`)).status).toBe(400);
    expect((await fetch(`${h.origin}/socket.io/?EIO=4&transport=polling`, { method: "PUT" })).status).toBe(400);
    const foreign = await rawRequest(h.port, upgradeRequest(h.port, "/socket.io/?EIO=4&transport=websocket", "Origin: http://evil.example\r\n"), 1000);
    expect(foreign.status).toBe(403);
    expect((await fetch(`${h.origin}/socket.io/?EIO=3&transport=polling`)).status).toBe(400);
    // The burst of one went to the EIO=3 attempt (refused after admission); the next is over the limit.
    expect((await fetch(`${h.origin}/socket.io/?EIO=4&transport=polling`)).status).toBe(429);

    expect(h.io.stats().engine.refusals).toEqual({
      unknown_transport: 1,
      unknown_sid: 1,
      bad_handshake_method: 1,
      bad_request: 0,
      forbidden: 0,
      unsupported_protocol_version: 1,
      address_limit: 1,
      origin: 1,
      shutting_down: 0,
    });
    expect(h.io.stats().engine.sessions).toBe(0);
  });
});
