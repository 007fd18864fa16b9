// Socket.IO v5 wire details beyond the official suite (protocol.md §3.2–3.6): server→client acks (ids
// per namespace), BINARY_ACK from clients, CONNECT_ERROR from middlewares, invalid-state closes,
// server-side disconnects, disconnect reasons, socket ids and the handshake object, and connection
// state recovery at wire level.
import { describe, expect, test } from "bun:test";
import type { Server, Socket } from "../../src/socketio/index.ts";
import { describeFrame, type Frame, until } from "../support/engine-server.ts";
import {
  autoPong,
  decodePollingPayload,
  eventually,
  expectWsClosed,
  nextNonPing,
  parseConnectReply,
  QUIET_SIO_OPTIONS,
  referenceFixture,
  type PollingClient,
  type SioConnection,
  type StartedSio,
  startSioServer,
} from "../support/sio-server.ts";

function serverSocket(s: StartedSio, id: string, nsp = "/"): Socket {
  const socket = s.io.of(nsp).sockets.get(id);
  if (!socket) throw new Error(`no server socket ${id} in ${nsp}`);
  return socket;
}

/** connect() plus the fixture's auth event. */
async function connectFixture(s: StartedSio, nsp = "/"): Promise<SioConnection> {
  const conn = await s.connect({ nsp });
  expect(await nextNonPing(conn.ws)).toBe(nsp === "/" ? '42["auth",{}]' : `42${nsp},["auth",{}]`);
  return conn;
}

/** CONNECT to another namespace on an existing connection; returns that socket's id. */
async function joinNamespace(conn: SioConnection, nsp: string): Promise<string> {
  conn.ws.send(`40${nsp},`);
  const { sid } = parseConnectReply(await nextNonPing(conn.ws), nsp);
  expect(await nextNonPing(conn.ws)).toBe(`42${nsp},["auth",{}]`);
  return sid;
}

async function expectEcho(conn: SioConnection, text = "ping-check"): Promise<void> {
  conn.ws.send(`42["message",${JSON.stringify(text)}]`);
  expect(await nextNonPing(conn.ws)).toBe(`42["message-back",${JSON.stringify(text)}]`);
}

type Calls = unknown[][];

function recorder(): { calls: Calls; fn: (...args: unknown[]) => void } {
  const calls: Calls = [];
  return { calls, fn: (...args: unknown[]) => void calls.push(args) };
}

// ---------------------------------------------------------------------------------------------

describe("server → client acknowledgements", () => {
  test("ack ids are per namespace from 0; the client's ACK reaches the callback with its args, once", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    const customId = await joinNamespace(conn, "/custom");
    const main = serverSocket(s, conn.socketId);
    const custom = serverSocket(s, customId, "/custom");

    const first = recorder();
    const second = recorder();
    const third = recorder();
    main.emit("x", 1, first.fn);
    custom.emit("x", "a", second.fn);
    main.emit("y", third.fn);
    expect(await nextNonPing(conn.ws)).toBe('420["x",1]');
    expect(await nextNonPing(conn.ws)).toBe('42/custom,0["x","a"]');
    expect(await nextNonPing(conn.ws)).toBe('421["y"]');

    conn.ws.send('431["r3"]');
    conn.ws.send('430[1,{"k":[true]}]');
    conn.ws.send("43/custom,0[]");
    await eventually(() => first.calls.length + second.calls.length + third.calls.length === 3, 1000, "three ack callbacks");
    expect(first.calls).toEqual([[1, { k: [true] }]]);
    expect(second.calls).toEqual([[]]);
    expect(third.calls).toEqual([["r3"]]);

    // A second ACK for an answered id and an ACK for an id never used are ignored; the session lives on.
    conn.ws.send('430["again"]');
    conn.ws.send('437["unknown"]');
    conn.ws.send('43/custom,99["unknown"]');
    await expectEcho(conn);
    expect(first.calls).toHaveLength(1);
    expect(conn.ws.isClosed).toBe(false);
    conn.ws.close();
  });

  test("BINARY_ACK from the client (`461-0[{placeholder}]` + bytes) reaches the callback as a Buffer", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    const main = serverSocket(s, conn.socketId);
    const ack = recorder();
    main.emit("bin", ack.fn);
    expect(await nextNonPing(conn.ws)).toBe('420["bin"]');
    conn.ws.send('461-0[{"_placeholder":true,"num":0}]');
    // Not called before its attachment: an ack is called once, so an early call would be the one
    // recorded below, with the placeholder instead of the bytes.
    conn.ws.send(Uint8Array.from([1, 2, 3]));
    await eventually(() => ack.calls.length === 1, 1000, "the binary ack");
    const [arg] = ack.calls[0] ?? [];
    expect(Buffer.isBuffer(arg)).toBe(true);
    expect([...(arg as Buffer)]).toEqual([1, 2, 3]);

    // Two attachments, nested, one index used twice: each slot gets its Buffer.
    const nested = recorder();
    main.emit("bin2", nested.fn);
    expect(await nextNonPing(conn.ws)).toBe('421["bin2"]');
    conn.ws.send('462-1["t",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}],{"_placeholder":true,"num":1}]');
    conn.ws.send(Uint8Array.from([7]));
    conn.ws.send(Uint8Array.from([8, 9]));
    await eventually(() => nested.calls.length === 1, 1000, "the nested binary ack");
    const args = nested.calls[0] ?? [];
    expect(args[0]).toBe("t");
    const a = (args[1] as { a: unknown }).a;
    const zero = (args[2] as unknown[])[0];
    expect(Buffer.isBuffer(a) && Buffer.isBuffer(zero) && Buffer.isBuffer(args[3])).toBe(true);
    expect([...(a as Buffer)]).toEqual([8, 9]);
    expect([...(zero as Buffer)]).toEqual([7]);
    expect([...(args[3] as Buffer)]).toEqual([8, 9]);
    await expectEcho(conn);
    conn.ws.close();
  });

  test("socket.timeout(ms).emit: no answer → Error('operation has timed out'); a late ACK is ignored", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    const main = serverSocket(s, conn.socketId);
    const ack = recorder();
    main.timeout(100).emit("slow", ack.fn);
    expect(await nextNonPing(conn.ws)).toBe('420["slow"]');
    await eventually(() => ack.calls.length === 1, 1000, "the timeout");
    const error = ack.calls[0]?.[0];
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("operation has timed out");
    conn.ws.send('430["late"]');
    await expectEcho(conn);
    expect(ack.calls).toHaveLength(1);

    // Answered in time: (null, ...args).
    const inTime = recorder();
    main.timeout(1000).emit("fast", inTime.fn);
    expect(await nextNonPing(conn.ws)).toBe('421["fast"]');
    conn.ws.send('431["ok",2]');
    await eventually(() => inTime.calls.length === 1, 1000, "the ack");
    expect(inTime.calls).toEqual([[null, "ok", 2]]);
    conn.ws.close();
  });
});

describe("client → server acknowledgements", () => {
  test('an ack called with no arguments → exactly 430[] (and 43/custom,5[] on a namespace)', async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    await joinNamespace(conn, "/custom");
    conn.ws.send('420["message-with-ack"]');
    expect(await nextNonPing(conn.ws)).toBe("430[]");
    conn.ws.send('42/custom,5["message-with-ack"]');
    expect(await nextNonPing(conn.ws)).toBe("43/custom,5[]");
    conn.ws.close();
  });
});

describe("broadcasts on the wire", () => {
  test("a broadcast with acks uses one id for every receiver and collects each answer", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const a = await connectFixture(s);
    const b = await connectFixture(s);
    const done = recorder();
    s.io.timeout(1000).emit("question", 42, done.fn);
    expect(await nextNonPing(a.ws)).toBe('420["question",42]');
    expect(await nextNonPing(b.ws)).toBe('420["question",42]');
    a.ws.send('430["from a"]');
    await expectEcho(a); // sentinel: a's ACK has been handled
    expect(done.calls).toHaveLength(0); // still waiting for b
    b.ws.send('430["from b"]');
    await eventually(() => done.calls.length === 1, 1000, "the broadcast ack");
    const [error, responses] = done.calls[0] ?? [];
    expect(error).toBeNull();
    expect([...(responses as unknown[])].sort()).toEqual(["from a", "from b"]);
    a.ws.close();
    b.ws.close();
  });

  test("binary broadcasts reach WebSocket and polling clients, attachments right after their header", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const ws = await connectFixture(s);
    const polling = await s.openPolling();
    await polling.post("40");
    const { sid: pollingId } = parseConnectReply(await polling.next());
    expect(await polling.next()).toBe('42["auth",{}]');
    serverSocket(s, ws.socketId).join("room");
    serverSocket(s, pollingId).join("room");
    s.io.emit("bin", Buffer.from([1, 2]), "t");
    s.io.to("room").emit("room-bin", { nested: new Uint8Array([3]) });
    s.io.to("room").emit("room-text", 1);
    const expected: Frame[][] = [
      ['451-["bin",{"_placeholder":true,"num":0},"t"]', Uint8Array.from([1, 2])],
      ['451-["room-bin",{"nested":{"_placeholder":true,"num":0}}]', Uint8Array.from([3])],
      ['42["room-text",1]'],
    ];
    const flat = expected.flat().map(describeFrame);
    const fromWs: string[] = [];
    const fromPolling: string[] = [];
    for (let i = 0; i < flat.length; i++) fromWs.push(describeFrame(await nextNonPing(ws.ws)));
    // Polling: everything queued goes out in the next GET, binary as "b" + base64.
    const poll = await s.get(polling.sid);
    expect(poll.status).toBe(200);
    expect(poll.body).toBe(
      [
        '451-["bin",{"_placeholder":true,"num":0},"t"]',
        `b${Buffer.from([1, 2]).toString("base64")}`,
        '451-["room-bin",{"nested":{"_placeholder":true,"num":0}}]',
        `b${Buffer.from([3]).toString("base64")}`,
        '42["room-text",1]',
      ].join("\x1e"),
    );
    for (const frame of decodePollingPayload(poll.body)) fromPolling.push(describeFrame(frame));
    expect(fromWs).toEqual(flat);
    expect(fromPolling).toEqual(flat);
    ws.ws.close();
  });

  test("socket.broadcast / socket.to(room) exclude the sender, over both transports", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const a = await connectFixture(s);
    const b = await connectFixture(s);
    const polling = await s.openPolling();
    await polling.post("40");
    const { sid: pollingId } = parseConnectReply(await polling.next());
    expect(await polling.next()).toBe('42["auth",{}]');
    for (const id of [a.socketId, b.socketId, pollingId]) serverSocket(s, id).join("room");

    serverSocket(s, a.socketId).broadcast.emit("from-a", 1);
    serverSocket(s, pollingId).to("room").emit("from-polling", 2);
    expect(await nextNonPing(b.ws)).toBe('42["from-a",1]');
    expect(await nextNonPing(b.ws)).toBe('42["from-polling",2]');
    expect(await nextNonPing(a.ws)).toBe('42["from-polling",2]');
    expect(await polling.nextNonPing()).toBe('42["from-a",1]');
    // Nothing else for the senders: the next frame each gets is this marker.
    s.io.emit("marker");
    expect(await nextNonPing(a.ws)).toBe('42["marker"]');
    expect(await polling.nextNonPing()).toBe('42["marker"]');
    expect(await nextNonPing(b.ws)).toBe('42["marker"]');
    a.ws.close();
    b.ws.close();
  });
});

// ---------------------------------------------------------------------------------------------

describe("CONNECT_ERROR", () => {
  const withMiddleware = (io: Server) => {
    referenceFixture(io);
    io.use((socket, next) => {
      const auth = socket.handshake.auth;
      if (auth["ok"] === true) return next();
      const error = new Error("nope") as Error & { data?: unknown };
      if (auth["withData"] !== false) error.data = { code: "X" };
      next(error);
    });
  };

  test('a middleware error with data → exactly 44{"message":"nope","data":{"code":"X"}}; the engine connection stays open', async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS, withMiddleware);
    const { ws } = await s.openWs();
    ws.send("40");
    expect(await nextNonPing(ws)).toBe('44{"message":"nope","data":{"code":"X"}}');
    expect(s.io.of("/").sockets.size).toBe(0);
    // Another namespace (no middleware) can still be joined on the same connection.
    ws.send("40/custom,");
    parseConnectReply(await nextNonPing(ws), "/custom");
    expect(await nextNonPing(ws)).toBe('42/custom,["auth",{}]');
    // And "/" again, now passing the middleware.
    ws.send('40{"ok":true}');
    parseConnectReply(await nextNonPing(ws), "/");
    expect(await nextNonPing(ws)).toBe('42["auth",{"ok":true}]');
    ws.close();
  });

  test('a middleware error without data → exactly 44{"message":"nope"} (no data key)', async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS, withMiddleware);
    const { ws } = await s.openWs();
    ws.send('40{"withData":false}');
    expect(await nextNonPing(ws)).toBe('44{"message":"nope"}');
    // Still open: another namespace (no middleware) can be joined on the same connection.
    ws.send("40/custom,");
    parseConnectReply(await nextNonPing(ws), "/custom");
    ws.close();
  });
});

// ---------------------------------------------------------------------------------------------

describe("invalid state closes the whole connection", () => {
  test("CONNECT twice to the main namespace", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    conn.ws.send("40");
    await expectWsClosed(conn.ws);
  });

  test("CONNECT twice to a custom namespace", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    await joinNamespace(conn, "/custom");
    conn.ws.send("40/custom,");
    await expectWsClosed(conn.ws);
  });

  test("an EVENT for a namespace not joined (42/custom,[\"x\"])", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    conn.ws.send('42/custom,["x"]');
    await expectWsClosed(conn.ws);
  });

  test("a DISCONNECT for a namespace that does not exist (41/nonexistent,)", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    conn.ws.send("41/nonexistent,");
    await expectWsClosed(conn.ws);
  });

  test("an EVENT before any CONNECT", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const { ws } = await s.openWs();
    ws.send('42["message","x"]');
    await expectWsClosed(ws);
  });

  test("421 (EVENT with an ack id but no payload): closed — stricter than the reference (src/socketio/parser)", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    conn.ws.send("421");
    await expectWsClosed(conn.ws);
  });
});

// ---------------------------------------------------------------------------------------------

type DisconnectRecord = { id: string; nsp: string; reason: string; roomsWhileDisconnecting: string[]; roomsAfter: string[] };

/** The reference fixture, plus a record of every socket's disconnecting/disconnect. */
function recordingDisconnects(records: DisconnectRecord[]): (io: Server) => void {
  return (io) => {
    referenceFixture(io);
    for (const nsp of ["/", "/custom"]) {
      io.of(nsp).on("connection", (socket) => {
        let roomsWhileDisconnecting: string[] = [];
        socket.on("disconnecting", () => {
          roomsWhileDisconnecting = [...socket.rooms];
        });
        socket.on("disconnect", (reason) => {
          records.push({ id: socket.id, nsp, reason, roomsWhileDisconnecting, roomsAfter: [...socket.rooms] });
        });
      });
    }
  };
}

async function reasonOf(records: DisconnectRecord[], id: string, timeoutMs = 1500): Promise<DisconnectRecord> {
  await eventually(() => records.some((r) => r.id === id), timeoutMs, `the disconnect of ${id}`);
  const matching = records.filter((r) => r.id === id);
  expect(matching).toHaveLength(1);
  return matching[0] as DisconnectRecord;
}

describe("server-side disconnect", () => {
  test("socket.disconnect() → the client receives 41 and the engine connection stays open", async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    const customId = await joinNamespace(conn, "/custom");
    serverSocket(s, conn.socketId).disconnect();
    expect(await nextNonPing(conn.ws)).toBe("41");
    expect((await reasonOf(records, conn.socketId)).reason).toBe("server namespace disconnect");
    serverSocket(s, customId, "/custom").disconnect();
    expect(await nextNonPing(conn.ws)).toBe("41/custom,");
    expect((await reasonOf(records, customId)).reason).toBe("server namespace disconnect");
    // The engine connection is still open: the same connection can CONNECT again, with a new socket id.
    conn.ws.send("40");
    const { sid } = parseConnectReply(await nextNonPing(conn.ws));
    expect(sid).not.toBe(conn.socketId);
    expect(await nextNonPing(conn.ws)).toBe('42["auth",{}]');
    await expectEcho(conn);
    conn.ws.close();
  });

  test("socket.disconnect(true) → 41 for every namespace of the connection, then the engine connection closes", async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    const customId = await joinNamespace(conn, "/custom");
    serverSocket(s, conn.socketId).disconnect(true);
    await expectWsClosed(conn.ws);
    expect([...conn.ws.buffered].sort()).toEqual(["41", "41/custom,"]);
    expect((await reasonOf(records, conn.socketId)).reason).toBe("server namespace disconnect");
    expect((await reasonOf(records, customId)).reason).toBe("server namespace disconnect");
    await eventually(() => s.io.engine.clientsCount === 0, 1000, "clientsCount 0");
  });

  test('io.close() → every socket gets "disconnect" with "server shutting down"; connections are closed', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const a = await connectFixture(s);
    const aCustom = await joinNamespace(a, "/custom");
    const b = await connectFixture(s);
    await s.io.close();
    for (const id of [a.socketId, aCustom, b.socketId]) {
      expect((await reasonOf(records, id)).reason).toBe("server shutting down");
    }
    await a.ws.waitClosed(1000);
    await b.ws.waitClosed(1000);
    expect(s.io.of("/").sockets.size).toBe(0);
    expect(s.io.of("/custom").sockets.size).toBe(0);
  });
});

describe("server-side disconnect over HTTP long-polling", () => {
  async function pollingSocket(s: StartedSio): Promise<{ polling: PollingClient; socketId: string }> {
    const polling = await s.openPolling();
    await polling.post("40");
    const { sid } = parseConnectReply(await polling.next());
    expect(await polling.next()).toBe('42["auth",{}]');
    return { polling, socketId: sid };
  }

  test("socket.disconnect() → the next GET carries 41; the session stays open", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const { polling, socketId } = await pollingSocket(s);
    serverSocket(s, socketId).disconnect();
    const poll = await s.get(polling.sid);
    expect(poll.status).toBe(200);
    expect(poll.body).toBe("41");
    expect((await polling.post("40")).status).toBe(200);
    parseConnectReply(await polling.next());
  });

  test("socket.disconnect(true) → the next GET carries 41, the one after it the close packet; then 400", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const { polling, socketId } = await pollingSocket(s);
    serverSocket(s, socketId).disconnect(true);
    // Not "41\x1e1" in one payload: socket.io-client handles a close packet at once and the packets
    // before it a tick later, so it would report "transport close" before "io server disconnect".
    const poll = await s.get(polling.sid);
    expect({ status: poll.status, body: poll.body }).toEqual({ status: 200, body: "41" });
    const last = await s.get(polling.sid);
    expect({ status: last.status, body: last.body }).toEqual({ status: 200, body: "1" });
    expect((await s.get(polling.sid)).status).toBe(400);
  });

  test("socket.disconnect(true) while a GET is held → 41 in that GET, then the close packet (there or in the next GET), then 400", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const { polling, socketId } = await pollingSocket(s);
    const { response: held } = await s.heldGet(polling.sid);
    // The held GET is answered by the 41 itself; the close comes right after, when no GET is held. The
    // reference buffers an orderly close then (engine.io polling.ts doClose → shouldClose) and the next
    // GET gets "1", just as when no GET was held at all (the test above).
    serverSocket(s, socketId).disconnect(true);
    const poll = await held;
    expect(poll.status).toBe(200);
    expect(decodePollingPayload(poll.body).concat(await trailingPackets(s, polling.sid))).toEqual(["41", "1"]);
  });

  test('io.close() answers a held GET with the close packet; sockets get "server shutting down"', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const { polling, socketId } = await pollingSocket(s);
    const { response: held } = await s.heldGet(polling.sid);
    await s.io.close();
    const poll = await held;
    expect(poll.status).toBe(200);
    expect(poll.body).toBe("1");
    expect((await reasonOf(records, socketId)).reason).toBe("server shutting down");
    expect((await s.get(polling.sid)).status).toBe(400);
  });
});

/** Packets still owed after a held GET was answered: GETs until one is refused. */
async function trailingPackets(s: StartedSio, sid: string): Promise<Frame[]> {
  const packets: Frame[] = [];
  for (let i = 0; i < 5; i++) {
    const poll = await s.get(sid);
    if (poll.status !== 200) return packets;
    packets.push(...decodePollingPayload(poll.body));
  }
  throw new Error(`session ${sid} still answering GETs: ${packets.map(describeFrame).join(", ")}`);
}

describe("server-side disconnect reasons", () => {
  test('client 41 → "client namespace disconnect"; "disconnecting" still sees the rooms, "disconnect" no more', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    serverSocket(s, conn.socketId).join("room-a");
    conn.ws.send("41");
    const record = await reasonOf(records, conn.socketId);
    expect(record.reason).toBe("client namespace disconnect");
    expect(record.roomsWhileDisconnecting.sort()).toEqual([conn.socketId, "room-a"].sort());
    expect(record.roomsAfter).toEqual([]);
    expect(s.io.of("/").adapter.rooms.has("room-a")).toBe(false);
    await expectEcho(conn).then(
      () => {
        throw new Error("an EVENT after 41 was answered");
      },
      () => {},
    );
  });

  test('the WebSocket closes → "transport close"', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    conn.ws.close();
    expect((await reasonOf(records, conn.socketId)).reason).toBe("transport close");
  });

  test('no pong → "ping timeout"', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer({ pingInterval: 300, pingTimeout: 200 }, recordingDisconnects(records));
    const conn = await connectFixture(s);
    const started = Date.now();
    expect((await reasonOf(records, conn.socketId, 1500)).reason).toBe("ping timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test('an unparseable packet → "parse error"', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    conn.ws.send("4abc");
    expect((await reasonOf(records, conn.socketId)).reason).toBe("parse error");
    await expectWsClosed(conn.ws);
  });

  test('socket.disconnect() → "server namespace disconnect"', async () => {
    const records: DisconnectRecord[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, recordingDisconnects(records));
    const conn = await connectFixture(s);
    serverSocket(s, conn.socketId).disconnect();
    expect((await reasonOf(records, conn.socketId)).reason).toBe("server namespace disconnect");
  });
});

// ---------------------------------------------------------------------------------------------

describe("socket identity and handshake", () => {
  test("socket.id is not the engine sid; each namespace of a connection has its own id", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS);
    const conn = await connectFixture(s);
    const customId = await joinNamespace(conn, "/custom");
    expect(conn.socketId).not.toBe(conn.engineSid);
    expect(customId).not.toBe(conn.engineSid);
    expect(customId).not.toBe(conn.socketId);
    const main = serverSocket(s, conn.socketId);
    expect(main.conn.id).toBe(conn.engineSid);
    expect(serverSocket(s, customId, "/custom").conn.id).toBe(conn.engineSid);
    // The engine sid (a transport credential) is not in the CONNECT replies.
    expect(JSON.stringify(conn.reply)).not.toContain(conn.engineSid);
    conn.ws.close();
  });

  test("the connection handler sees auth, query (custom params included), headers, address, time, issued, url, secure, xdomain", async () => {
    const seen: Socket[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      io.on("connection", (socket) => void seen.push(socket));
    });
    const before = Date.now();
    const { sid } = await s.handshake("custom=yes&t=abc", { "x-custom-header": "hello", origin: "http://example.com" });
    const after = Date.now();
    expect((await s.post(sid, '40{"token":"t1","n":2}')).status).toBe(200);
    await eventually(() => seen.length === 1, 1000, "the connection");
    const handshake = (seen[0] as Socket).handshake;
    expect(handshake.auth).toEqual({ token: "t1", n: 2 });
    expect(handshake.query).toEqual({ EIO: "4", transport: "polling", custom: "yes", t: "abc" });
    expect(handshake.headers["x-custom-header"]).toBe("hello");
    expect(handshake.headers["host"]).toBe(`127.0.0.1:${s.port}`);
    expect(handshake.address).toBe("127.0.0.1");
    expect(handshake.issued).toBeGreaterThanOrEqual(before);
    expect(handshake.issued).toBeLessThanOrEqual(after);
    expect(handshake.time).toBe(new Date(handshake.issued).toString());
    expect(handshake.url).toBe("/socket.io/?EIO=4&transport=polling&custom=yes&t=abc");
    expect(handshake.secure).toBe(false);
    expect(handshake.xdomain).toBe(true);

    // Without an Origin header: not cross-domain; no CONNECT payload: auth is {}.
    const second = await s.handshake();
    expect((await s.post(second.sid, "40")).status).toBe(200);
    await eventually(() => seen.length === 2, 1000, "the second connection");
    const plain = (seen[1] as Socket).handshake;
    expect(plain.xdomain).toBe(false);
    expect(plain.auth).toEqual({});
    expect(plain.headers["origin"]).toBeUndefined();
  });

  test("over WebSocket: query params of the upgrade request, the address, auth", async () => {
    const seen: Socket[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      io.on("connection", (socket) => void seen.push(socket));
    });
    const conn = await s.connect({ query: "room=r1", auth: { token: "w" } });
    const handshake = serverSocket(s, conn.socketId).handshake;
    expect(seen).toHaveLength(1);
    expect(handshake.query).toEqual({ EIO: "4", transport: "websocket", room: "r1" });
    expect(handshake.auth).toEqual({ token: "w" });
    expect(handshake.address).toBe("127.0.0.1");
    expect(handshake.url).toBe("/socket.io/?EIO=4&transport=websocket&room=r1");
    expect(handshake.secure).toBe(false);
    conn.ws.close();
  });
});

// ---------------------------------------------------------------------------------------------

/** An EVENT frame's array; the last element of a broadcast under recovery is its offset. */
function eventArgs(frame: Frame, prefix = "42"): unknown[] {
  if (typeof frame !== "string" || !frame.startsWith(`${prefix}[`)) throw new Error(`not an EVENT: ${describeFrame(frame)}`);
  const parsed: unknown = JSON.parse(frame.slice(prefix.length));
  if (!Array.isArray(parsed)) throw new Error(`not an array payload: ${frame}`);
  return parsed;
}

function offsetOf(frame: Frame, prefix = "42"): string {
  const args = eventArgs(frame, prefix);
  const offset = args[args.length - 1];
  if (typeof offset !== "string") throw new Error(`no offset as last argument: ${describeFrame(frame)}`);
  return offset;
}

describe("connection state recovery (wire level)", () => {
  const CSR_OPTIONS = { ...QUIET_SIO_OPTIONS, connectionStateRecovery: {} };

  function csrSetup(records: DisconnectRecord[], recovered: Map<string, boolean>): (io: Server) => void {
    return (io) => {
      io.on("connection", (socket) => {
        recovered.set(socket.id, socket.recovered);
        socket.on("disconnect", (reason) => {
          records.push({ id: socket.id, nsp: "/", reason, roomsWhileDisconnecting: [], roomsAfter: [] });
        });
      });
    };
  }

  test("CONNECT reply carries sid and pid; broadcasts carry an offset; a reconnect with pid+offset gets only its missed broadcasts, then the same sid and pid", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(CSR_OPTIONS, csrSetup(records, recovered));

    const a = await s.connect();
    expect(Object.keys(a.reply)).toEqual(["sid", "pid"]);
    const pid = a.reply["pid"];
    expect(typeof pid).toBe("string");
    expect(pid).not.toBe(a.socketId);
    const b = await s.connect();
    expect(b.reply["pid"]).not.toBe(pid);
    expect(recovered.get(a.socketId)).toBe(false);
    serverSocket(s, a.socketId).join("room1");
    serverSocket(s, b.socketId).join("room2");

    s.io.emit("hello", 1);
    const helloA = await nextNonPing(a.ws);
    const helloB = await nextNonPing(b.ws);
    const offset = offsetOf(helloA);
    expect(eventArgs(helloA)).toEqual(["hello", 1, offset]);
    expect(helloB).toBe(helloA);

    a.ws.close();
    expect((await reasonOf(records, a.socketId)).reason).toBe("transport close");

    s.io.emit("m1", "all");
    s.io.to("room1").emit("m2");
    s.io.to("room2").emit("m3");
    s.io.except("room1").emit("m4");
    s.io.to(["room1", "room2"]).emit("m5", { x: 1 });

    const { ws } = await s.openWs();
    ws.send(`40${JSON.stringify({ pid, offset })}`);
    const m1 = await nextNonPing(ws);
    expect(eventArgs(m1)).toEqual(["m1", "all", offsetOf(m1)]);
    const m2 = await nextNonPing(ws);
    expect(eventArgs(m2)).toEqual(["m2", offsetOf(m2)]);
    const m5 = await nextNonPing(ws);
    expect(eventArgs(m5)).toEqual(["m5", { x: 1 }, offsetOf(m5)]);
    expect(await nextNonPing(ws)).toBe(`40${JSON.stringify({ sid: a.socketId, pid })}`);
    expect(new Set([offset, offsetOf(m1), offsetOf(m2), offsetOf(m5)]).size).toBe(4);

    await eventually(() => recovered.get(a.socketId) === true, 1000, "the recovered connection");
    const restored = serverSocket(s, a.socketId);
    expect(restored.recovered).toBe(true);
    expect([...restored.rooms].sort()).toEqual([a.socketId, "room1"].sort());
    // Still in its rooms after recovery.
    s.io.to("room1").emit("after");
    const afterFrame = await nextNonPing(ws);
    expect(eventArgs(afterFrame)).toEqual(["after", offsetOf(afterFrame)]);
    // Sentinel: nothing else (no second replay) comes before a later broadcast to this socket alone.
    s.io.to(a.socketId).emit("sentinel");
    expect(eventArgs(await nextNonPing(ws))[0]).toBe("sentinel");
    ws.close();
    b.ws.close();
  });

  test("an unknown pid gets a fresh session: new sid and pid, nothing replayed", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(CSR_OPTIONS, csrSetup(records, recovered));
    const a = await s.connect();
    s.io.emit("hello");
    const offset = offsetOf(await nextNonPing(a.ws));
    const { ws } = await s.openWs();
    ws.send(`40${JSON.stringify({ pid: "not-a-known-pid", offset })}`);
    const reply = parseConnectReply(await nextNonPing(ws));
    expect(reply.keys).toEqual(["sid", "pid"]);
    expect(reply.sid).not.toBe(a.socketId);
    expect(reply.payload["pid"]).not.toBe("not-a-known-pid");
    expect(reply.payload["pid"]).not.toBe(a.reply["pid"]);
    expect(recovered.get(reply.sid)).toBe(false);
    ws.close();
    a.ws.close();
  });

  test("after maxDisconnectionDuration the session is not recovered", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(
      { ...QUIET_SIO_OPTIONS, connectionStateRecovery: { maxDisconnectionDuration: 100 } },
      csrSetup(records, recovered),
    );
    const a = await s.connect();
    s.io.emit("hello");
    const offset = offsetOf(await nextNonPing(a.ws));
    a.ws.close();
    await reasonOf(records, a.socketId);
    // The window is the server's own clock (checked when a recovery is asked for): let it pass.
    const disconnectedBy = Date.now();
    await until(() => (Date.now() > disconnectedBy + 100 ? true : undefined), 1000, "the recovery window to pass");
    const { ws } = await s.openWs();
    ws.send(`40${JSON.stringify({ pid: a.reply["pid"], offset })}`);
    const reply = parseConnectReply(await nextNonPing(ws));
    expect(reply.sid).not.toBe(a.socketId);
    expect(recovered.get(reply.sid)).toBe(false);
    ws.close();
  });

  test("a client namespace disconnect (41) is not recoverable", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(CSR_OPTIONS, csrSetup(records, recovered));
    const a = await s.connect();
    autoPong(a.ws);
    s.io.emit("hello");
    const offset = offsetOf(await nextNonPing(a.ws));
    a.ws.send("41");
    expect((await reasonOf(records, a.socketId)).reason).toBe("client namespace disconnect");
    a.ws.send(`40${JSON.stringify({ pid: a.reply["pid"], offset })}`);
    const reply = parseConnectReply(await nextNonPing(a.ws));
    expect(reply.sid).not.toBe(a.socketId);
    expect(recovered.get(reply.sid)).toBe(false);
    a.ws.close();
  });

  test("no offset on emits expecting an ack, nor on volatile emits", async () => {
    await using s = await startSioServer(CSR_OPTIONS, csrSetup([], new Map()));
    const a = await s.connect();
    const socket = serverSocket(s, a.socketId);
    socket.emit("with-ack", 1, () => {});
    expect(await nextNonPing(a.ws)).toBe('420["with-ack",1]');
    socket.volatile.emit("volatile", 2);
    expect(await nextNonPing(a.ws)).toBe('42["volatile",2]');
    s.io.volatile.emit("volatile-broadcast", 3);
    expect(await nextNonPing(a.ws)).toBe('42["volatile-broadcast",3]');
    socket.emit("plain", 4);
    const plain = await nextNonPing(a.ws);
    expect(eventArgs(plain)).toEqual(["plain", 4, offsetOf(plain)]);
    a.ws.close();
  });

  test("recovery restores socket.data, replays binary broadcasts with their attachments, and works on a custom namespace", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(CSR_OPTIONS, (io) => {
      for (const nsp of ["/", "/custom"]) {
        io.of(nsp).on("connection", (socket) => {
          recovered.set(socket.id, socket.recovered);
          socket.on("disconnect", (reason) => {
            records.push({ id: socket.id, nsp, reason, roomsWhileDisconnecting: [], roomsAfter: [] });
          });
        });
      }
    });
    const a = await s.connect({ nsp: "/custom" });
    const pid = a.reply["pid"];
    serverSocket(s, a.socketId, "/custom").data = { user: "u1", n: 2 };
    s.io.of("/custom").emit("first");
    const first = await nextNonPing(a.ws);
    const offset = offsetOf(first, "42/custom,");
    expect(first).toBe(`42/custom,["first",${JSON.stringify(offset)}]`);
    a.ws.close();
    expect((await reasonOf(records, a.socketId)).reason).toBe("transport close");
    s.io.of("/custom").emit("missed-bin", Buffer.from([9, 8, 7]));
    s.io.emit("other-namespace"); // "/" broadcasts are not this socket's

    const { ws } = await s.openWs();
    ws.send(`40/custom,${JSON.stringify({ pid, offset })}`);
    const header = await nextNonPing(ws);
    expect(typeof header === "string" && header.startsWith('451-/custom,["missed-bin",{"_placeholder":true,"num":0},')).toBe(true);
    expect([...((await ws.nextBinary()) as Uint8Array)]).toEqual([9, 8, 7]);
    expect(await nextNonPing(ws)).toBe(`40/custom,${JSON.stringify({ sid: a.socketId, pid })}`);
    await eventually(() => recovered.get(a.socketId) === true, 1000, "the recovered connection");
    expect(serverSocket(s, a.socketId, "/custom").data).toEqual({ user: "u1", n: 2 });
    ws.close();
  });

  test("middlewares are skipped on recovery by default, run again with skipMiddlewares: false", async () => {
    for (const skipMiddlewares of [true, false]) {
      const records: DisconnectRecord[] = [];
      let middlewareRuns = 0;
      await using s = await startSioServer(
        { ...QUIET_SIO_OPTIONS, connectionStateRecovery: { skipMiddlewares } },
        (io) => {
          csrSetup(records, new Map())(io);
          io.use((_socket, next) => {
            middlewareRuns++;
            next();
          });
        },
      );
      const a = await s.connect();
      s.io.emit("tick");
      const offset = offsetOf(await nextNonPing(a.ws));
      a.ws.close();
      await reasonOf(records, a.socketId);
      const { ws } = await s.openWs();
      ws.send(`40${JSON.stringify({ pid: a.reply["pid"], offset })}`);
      expect(parseConnectReply(await nextNonPing(ws)).sid).toBe(a.socketId);
      expect(middlewareRuns).toBe(skipMiddlewares ? 1 : 2);
      ws.close();
    }
  });

  test("recovery over long-polling, and a second recovery of the same session", async () => {
    const records: DisconnectRecord[] = [];
    const recovered = new Map<string, boolean>();
    await using s = await startSioServer(CSR_OPTIONS, csrSetup(records, recovered));
    const a = await s.connect();
    const pid = a.reply["pid"];
    s.io.emit("one");
    const offset = offsetOf(await nextNonPing(a.ws));
    a.ws.close();
    await reasonOf(records, a.socketId);
    s.io.emit("two");

    // Back over polling: the missed packet, then the CONNECT reply, in order.
    const polling = await s.openPolling();
    expect((await polling.post(`40${JSON.stringify({ pid, offset })}`)).status).toBe(200);
    const two = await polling.next();
    expect(eventArgs(two)).toEqual(["two", offsetOf(two)]);
    expect(await polling.next()).toBe(`40${JSON.stringify({ sid: a.socketId, pid })}`);
    await eventually(() => recovered.get(a.socketId) === true, 1000, "the first recovery");

    // The restored socket can be recovered again after its next drop (here: a polling close).
    s.io.emit("three");
    const three = await polling.next();
    const lastOffset = offsetOf(three);
    records.length = 0;
    expect((await polling.post("1")).status).toBe(200);
    expect((await reasonOf(records, a.socketId)).reason).toBe("transport close");
    s.io.emit("four");
    const { ws } = await s.openWs();
    ws.send(`40${JSON.stringify({ pid, offset: lastOffset })}`);
    const four = await nextNonPing(ws);
    expect(eventArgs(four)).toEqual(["four", offsetOf(four)]);
    expect(await nextNonPing(ws)).toBe(`40${JSON.stringify({ sid: a.socketId, pid })}`);
    ws.close();
  });
});
