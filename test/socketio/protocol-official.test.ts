// The official socket.io-protocol test suite (protocol.md §1.2), against our Server with the reference
// fixture (§0.3): its 16 Engine.IO-level cases at /socket.io/, its 16 Socket.IO-level cases over
// WebSocket and again over HTTP long-polling, plus socketioxide's two "acknowledgements" cases (§0.5).
// Unlike the upstream harness, every frame is buffered (two frames in one TCP write are never lost),
// every close is awaited, and pings are answered while waiting for a close, so a ping timeout can never
// pass for the close a case is about.
import { describe, expect, test } from "bun:test";
import { describeFrame, errorBody, request, type Frame, until, WsClient } from "../support/engine-server.ts";
import {
  autoPong,
  expectWsClosed,
  nextNonPing,
  type PollingClient,
  type StartedSio,
  startSioServer,
} from "../support/sio-server.ts";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

function bytes(frame: Frame): number[] {
  if (typeof frame === "string") throw new Error(`expected a binary frame, got text ${describeFrame(frame)}`);
  return [...frame];
}

// ---------------------------------------------------------------------------------------------
// Engine.IO part (16 cases)

describe("socket.io-protocol suite: Engine.IO handshake", () => {
  test("HTTP long-polling: successfully opens a session", async () => {
    await using s = await startSioServer();
    const response = await request(`${s.url}?EIO=4&transport=polling`);
    expect(response.status).toBe(200);
    expect(response.body.startsWith("0")).toBe(true);
    const value = JSON.parse(response.body.slice(1)) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
    expect(typeof value["sid"]).toBe("string");
    expect(value["upgrades"]).toEqual(["websocket"]);
    expect(value["pingInterval"]).toBe(PING_INTERVAL);
    expect(value["pingTimeout"]).toBe(PING_TIMEOUT);
    expect(value["maxPayload"]).toBe(1000000);
  });

  test("HTTP long-polling: fails with an invalid 'EIO' query parameter", async () => {
    await using s = await startSioServer();
    const missing = await request(`${s.url}?transport=polling`);
    expect(missing.status).toBe(400);
    expect(missing.body).toBe(errorBody(5, "Unsupported protocol version"));
    const invalid = await request(`${s.url}?EIO=abc&transport=polling`);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toBe(errorBody(5, "Unsupported protocol version"));
  });

  test("HTTP long-polling: fails with an invalid 'transport' query parameter", async () => {
    await using s = await startSioServer();
    const missing = await request(`${s.url}?EIO=4`);
    expect(missing.status).toBe(400);
    expect(missing.body).toBe(errorBody(0, "Transport unknown"));
    const invalid = await request(`${s.url}?EIO=4&transport=abc`);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toBe(errorBody(0, "Transport unknown"));
  });

  test("HTTP long-polling: fails with an invalid request method", async () => {
    await using s = await startSioServer();
    const post = await request(`${s.url}?EIO=4&transport=polling`, { method: "POST" });
    expect(post.status).toBe(400);
    const put = await request(`${s.url}?EIO=4&transport=polling`, { method: "PUT" });
    expect(put.status).toBe(400);
  });

  test("WebSocket: successfully opens a session", async () => {
    await using s = await startSioServer();
    const ws = s.connectWs();
    const frame = await ws.nextText(1000);
    expect(frame.startsWith("0")).toBe(true);
    const value = JSON.parse(frame.slice(1)) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
    expect(typeof value["sid"]).toBe("string");
    expect(value["upgrades"]).toEqual([]);
    expect(value["pingInterval"]).toBe(PING_INTERVAL);
    expect(value["pingTimeout"]).toBe(PING_TIMEOUT);
    expect(value["maxPayload"]).toBe(1000000);
    ws.close();
  });

  test("WebSocket: fails with an invalid 'EIO' query parameter (the close is awaited)", async () => {
    await using s = await startSioServer();
    for (const query of ["transport=websocket", "EIO=abc&transport=websocket"]) {
      const ws = new WsClient(`${s.wsUrl}?${query}`);
      expect(await ws.opened).toBe(false);
      await ws.waitClosed(1000);
      expect(ws.buffered).toHaveLength(0);
    }
  });

  test("WebSocket: fails with an invalid 'transport' query parameter (the close is awaited)", async () => {
    await using s = await startSioServer();
    for (const query of ["EIO=4", "EIO=4&transport=abc"]) {
      const ws = new WsClient(`${s.wsUrl}?${query}`);
      expect(await ws.opened).toBe(false);
      await ws.waitClosed(1000);
      expect(ws.buffered).toHaveLength(0);
    }
  });
});

describe("socket.io-protocol suite: Engine.IO heartbeat", () => {
  // These sessions never join a namespace: the suite's 1 s connectTimeout would end them within the
  // cases (three ping rounds take ~900 ms, a ping timeout ~500 ms), so it is 10 s here.
  const NO_CONNECT_TIMEOUT = { connectTimeout: 10_000 };

  test("HTTP long-polling: sends ping/pong packets", async () => {
    // The suite's pingInterval; a pong may be 2 s late (not 200 ms): a loaded machine's POST can take longer.
    await using s = await startSioServer({ ...NO_CONNECT_TIMEOUT, pingTimeout: 2000 });
    const { sid } = await s.handshake();
    for (let i = 0; i < 3; i++) {
      const poll = await s.get(sid);
      expect(poll.status).toBe(200);
      expect(poll.body).toBe("2");
      const pong = await s.post(sid, "3");
      expect(pong.status).toBe(200);
    }
  });

  test("HTTP long-polling: closes the session upon ping timeout", async () => {
    await using s = await startSioServer(NO_CONNECT_TIMEOUT);
    const started = Date.now();
    const { sid } = await s.handshake();
    // The suite sleeps pingInterval + pingTimeout (500 ms) and then polls; here the session's end is
    // awaited instead, with no GET before it (no GET may carry the ping or keep it alive).
    await until(() => (s.io.engine.clientsCount === 0 ? true : undefined), PING_INTERVAL + PING_TIMEOUT + 1500, "the ping timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 50);
    const poll = await s.get(sid);
    expect(poll.status).toBe(400);
  });

  test("WebSocket: sends ping/pong packets", async () => {
    await using s = await startSioServer({ ...NO_CONNECT_TIMEOUT, pingTimeout: 2000 }); // a late pong is not what this case is about
    const { ws } = await s.openWs();
    for (let i = 0; i < 3; i++) {
      expect(await ws.next(PING_INTERVAL + 1000)).toBe("2");
      ws.send("3");
    }
    ws.close();
  });

  test("WebSocket: closes the session upon ping timeout", async () => {
    await using s = await startSioServer(NO_CONNECT_TIMEOUT);
    const { ws } = await s.openWs();
    const started = Date.now();
    await ws.waitClosed(PING_INTERVAL + PING_TIMEOUT + 1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 50);
    expect(ws.buffered).toEqual(["2"]);
  });
});

describe("socket.io-protocol suite: Engine.IO close", () => {
  test("HTTP long-polling: forcefully closes the session", async () => {
    await using s = await startSioServer();
    const { sid } = await s.handshake();
    const { response } = await s.heldGet(sid); // the suite's 20 ms head start for the GET, as a sentinel
    const push = await s.post(sid, "1");
    const poll = await response;
    expect(push.status).toBe(200);
    expect(poll.status).toBe(200);
    expect(poll.body).toBe("6");
    const after = await s.get(sid);
    expect(after.status).toBe(400);
  });

  test("WebSocket: forcefully closes the session", async () => {
    // connectTimeout (1000 ms in the suite) would close this session by itself within the wait: with
    // 10 s, and pings answered, only the "1" can close it.
    await using s = await startSioServer({ connectTimeout: 10_000 });
    const { ws } = await s.openWs();
    ws.send("1");
    await expectWsClosed(ws, 1000);
  });
});

describe("socket.io-protocol suite: Engine.IO upgrade", () => {
  test("successfully upgrades from HTTP long-polling to WebSocket", async () => {
    await using s = await startSioServer();
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    ws.send("5");
    // The upgraded transport carries Socket.IO from now on.
    ws.send("40");
    const reply = await nextNonPing(ws);
    expect(typeof reply === "string" && reply.startsWith('40{"sid":')).toBe(true);
    expect(await nextNonPing(ws)).toBe('42["auth",{}]');
    ws.close();
  });

  test("ignores HTTP requests with same sid after upgrade", async () => {
    await using s = await startSioServer();
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    ws.send("5");
    expect(await ws.next()).toBe("3probe");
    // A CONNECT answered over the WebSocket shows "5" was processed: the GET below cannot race the upgrade.
    ws.send("40");
    expect(String(await nextNonPing(ws)).startsWith('40{"sid":')).toBe(true);
    const poll = await s.get(sid);
    expect(poll.status).toBe(400);
    ws.close();
  });

  test("ignores WebSocket connection with same sid after upgrade", async () => {
    await using s = await startSioServer();
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    ws.send("5");
    expect(await ws.next()).toBe("3probe");
    const second = s.connectWs(`sid=${sid}`);
    await second.waitClosed(1000);
    expect(second.buffered).toHaveLength(0);
    // The first WebSocket is unaffected.
    ws.send("40");
    expect(String(await nextNonPing(ws)).startsWith('40{"sid":')).toBe(true);
    ws.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Socket.IO part (16 cases), over WebSocket and over HTTP long-polling

/** One client connection, whichever the transport: frames are Engine.IO packets ("40{…}", "2", bytes). */
type Conn = {
  /** WebSocket: one frame each; polling: one POST whose payload carries all of them (must answer 200 `ok`). */
  send(...frames: Frame[]): Promise<void>;
  /** Same, for input that may end the session: a refused POST is fine. */
  sendHostile(...frames: Frame[]): Promise<void>;
  /** The next packet, pings included. */
  next(timeoutMs?: number): Promise<Frame>;
  /** The next packet that is not a ping (pings answered). */
  nextNonPing(timeoutMs?: number): Promise<Frame>;
  /** The server ends the session within timeoutMs (pings answered meanwhile). */
  expectClosed(timeoutMs?: number): Promise<void>;
  close(): void;
};

type Transport = { name: "WebSocket" | "HTTP long-polling"; open(s: StartedSio): Promise<Conn> };

function wsConn(ws: WsClient): Conn {
  return {
    async send(...frames) {
      for (const frame of frames) ws.send(frame);
    },
    async sendHostile(...frames) {
      for (const frame of frames) if (!ws.isClosed) ws.send(frame);
    },
    next: (timeoutMs = 1000) => ws.next(timeoutMs),
    nextNonPing: (timeoutMs = 1000) => nextNonPing(ws, timeoutMs),
    async expectClosed(timeoutMs = 1000) {
      await expectWsClosed(ws, timeoutMs);
    },
    close: () => ws.close(),
  };
}

function pollingConn(client: PollingClient): Conn {
  return {
    async send(...frames) {
      const response = await client.post(...frames);
      if (response.status !== 200 || response.body !== "ok") throw new Error(`POST answered ${response.status} ${response.body}`);
    },
    async sendHostile(...frames) {
      await client.post(...frames);
    },
    next: (timeoutMs = 1000) => client.next(timeoutMs),
    nextNonPing: (timeoutMs = 1000) => client.nextNonPing(timeoutMs),
    async expectClosed(timeoutMs = 1000) {
      const { status, seen } = await client.expectClosed(timeoutMs);
      expect(status).toBe(400);
      expect(seen.map(describeFrame)).toEqual([]);
    },
    close: () => {},
  };
}

const TRANSPORTS: Transport[] = [
  { name: "WebSocket", open: async (s) => wsConn((await s.openWs()).ws) },
  { name: "HTTP long-polling", open: async (s) => pollingConn(await s.openPolling()) },
];

/**
 * `40` on "/" then the CONNECT reply and the fixture's auth event (the suite's initSocketIOConnection).
 * Pings on the way are answered and skipped, as the suite's waitForPackets does: on a loaded machine the
 * first ping (at +300 ms) can come before the reply.
 */
async function initSocketIOConnection(s: StartedSio, transport: Transport): Promise<Conn> {
  const conn = await transport.open(s);
  await conn.send("40");
  expect(String(await conn.nextNonPing()).startsWith('40{"sid":')).toBe(true);
  expect(await conn.nextNonPing()).toBe('42["auth",{}]');
  return conn;
}

function expectConnectReply(frame: Frame, prefix: string): string {
  expect(typeof frame).toBe("string");
  const text = frame as string;
  expect(text.slice(0, prefix.length)).toBe(prefix);
  const handshake = JSON.parse(text.slice(prefix.length)) as Record<string, unknown>;
  expect(Object.keys(handshake)).toEqual(["sid"]);
  expect(typeof handshake["sid"]).toBe("string");
  return handshake["sid"] as string;
}

const BIN_PLACEHOLDERS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}';

for (const transport of TRANSPORTS) {
  describe(`socket.io-protocol suite: Socket.IO connect (${transport.name})`, () => {
    test("should allow connection to the main namespace", async () => {
      await using s = await startSioServer();
      const conn = await transport.open(s);
      await conn.send("40");
      expectConnectReply(await conn.nextNonPing(), "40");
      expect(await conn.nextNonPing()).toBe('42["auth",{}]');
      conn.close();
    });

    test("should allow connection to the main namespace with a payload", async () => {
      await using s = await startSioServer();
      const conn = await transport.open(s);
      await conn.send('40{"token":"123"}');
      expectConnectReply(await conn.nextNonPing(), "40");
      expect(await conn.nextNonPing()).toBe('42["auth",{"token":"123"}]');
      conn.close();
    });

    test("should allow connection to a custom namespace", async () => {
      await using s = await startSioServer();
      const conn = await transport.open(s);
      await conn.send("40/custom,");
      expectConnectReply(await conn.nextNonPing(), "40/custom,");
      expect(await conn.nextNonPing()).toBe('42/custom,["auth",{}]');
      conn.close();
    });

    test("should allow connection to a custom namespace with a payload", async () => {
      await using s = await startSioServer();
      const conn = await transport.open(s);
      await conn.send('40/custom,{"token":"abc"}');
      expectConnectReply(await conn.nextNonPing(), "40/custom,");
      expect(await conn.nextNonPing()).toBe('42/custom,["auth",{"token":"abc"}]');
      conn.close();
    });

    test("should disallow connection to an unknown namespace", async () => {
      await using s = await startSioServer();
      const conn = await transport.open(s);
      await conn.send("40/random");
      expect(await conn.nextNonPing()).toBe('44/random,{"message":"Invalid namespace"}');
      // The engine connection stays open: "/" can still be joined.
      await conn.send("40");
      expectConnectReply(await conn.nextNonPing(), "40");
      conn.close();
    });

    test("should disallow connection with an invalid handshake", async () => {
      // connectTimeout 10 s instead of 1 s: only the invalid CONNECT can close the session within the wait.
      await using s = await startSioServer({ connectTimeout: 10_000 });
      const conn = await transport.open(s);
      await conn.sendHostile("4abc");
      await conn.expectClosed();
    });

    test("should close the connection if no handshake is received (connectTimeout 1000 ms)", async () => {
      await using s = await startSioServer();
      const started = Date.now();
      const conn = await transport.open(s);
      // Pings are answered, so only the connect timeout can end this session.
      await conn.expectClosed(1500);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });
  });

  describe(`socket.io-protocol suite: Socket.IO disconnect (${transport.name})`, () => {
    test("should disconnect from the main namespace (the engine connection stays open: next frame is a ping)", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send("41");
      expect(await conn.next(PING_INTERVAL + 500)).toBe("2");
      conn.close();
    });

    test("should connect then disconnect from a custom namespace", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      expect(await conn.next(PING_INTERVAL + 500)).toBe("2");
      await conn.send("3");
      await conn.send("40/custom");
      expectConnectReply(await conn.nextNonPing(), "40/custom,");
      expect(await conn.nextNonPing()).toBe('42/custom,["auth",{}]');
      await conn.send("41/custom", '42["message","message to main namespace"]');
      expect(await conn.nextNonPing()).toBe('42["message-back","message to main namespace"]');
      conn.close();
    });
  });

  describe(`socket.io-protocol suite: Socket.IO message (${transport.name})`, () => {
    test("should send a plain-text packet", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send('42["message",1,"2",{"3":[true]}]');
      expect(await conn.nextNonPing()).toBe('42["message-back",1,"2",{"3":[true]}]');
      conn.close();
    });

    test("should send a packet with binary attachments", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send(`452-["message",${BIN_PLACEHOLDERS}]`, Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6]));
      expect(await conn.nextNonPing()).toBe(`452-["message-back",${BIN_PLACEHOLDERS}]`);
      expect(bytes(await conn.nextNonPing())).toEqual([1, 2, 3]);
      expect(bytes(await conn.nextNonPing())).toEqual([4, 5, 6]);
      conn.close();
    });

    test("should send a plain-text packet with an ack", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send('42456["message-with-ack",1,"2",{"3":[false]}]');
      expect(await conn.nextNonPing()).toBe('43456[1,"2",{"3":[false]}]');
      conn.close();
    });

    test("should send a packet with binary attachments and an ack", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send(`452-789["message-with-ack",${BIN_PLACEHOLDERS}]`, Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6]));
      expect(await conn.nextNonPing()).toBe(`462-789[${BIN_PLACEHOLDERS}]`);
      expect(bytes(await conn.nextNonPing())).toEqual([1, 2, 3]);
      expect(bytes(await conn.nextNonPing())).toEqual([4, 5, 6]);
      conn.close();
    });

    test("should close the connection upon invalid format (unknown packet type)", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.sendHostile("4abc");
      await conn.expectClosed();
    });

    test("should close the connection upon invalid format (invalid payload format)", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.sendHostile("42{}");
      await conn.expectClosed();
    });

    test("should close the connection upon invalid format (invalid ack id)", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.sendHostile('42abc["message-with-ack",1,"2",{"3":[false]}]');
      await conn.expectClosed();
    });
  });

  describe(`socketioxide suite: acknowledgements (${transport.name})`, () => {
    // socketioxide's ack ids start at 1; socket.io's (and ours) start at 0 per namespace (protocol.md §3.3).
    test("should emit with an ack expectation", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      await conn.send('42["emit-with-ack",1,"2",{"3":[true]}]');
      expect(await conn.nextNonPing()).toBe('420["emit-with-ack",1,"2",{"3":[true]}]');
      await conn.send('430[1,"2",{"3":[true]}]');
      expect(await conn.nextNonPing()).toBe('42["emit-with-ack",1,"2",{"3":[true]}]');
      conn.close();
    });

    test("should emit with a binary ack expectation", async () => {
      await using s = await startSioServer();
      const conn = await initSocketIOConnection(s, transport);
      const data = `${BIN_PLACEHOLDERS},"test"`;
      await conn.send(`452-["emit-with-ack",${data}]`, Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6]));
      expect(await conn.nextNonPing()).toBe(`452-0["emit-with-ack",${data}]`);
      expect(bytes(await conn.nextNonPing())).toEqual([1, 2, 3]);
      expect(bytes(await conn.nextNonPing())).toEqual([4, 5, 6]);
      await conn.send(`462-0[${data}]`, Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6]));
      expect(await conn.nextNonPing()).toBe(`452-["emit-with-ack",${data}]`);
      expect(bytes(await conn.nextNonPing())).toEqual([1, 2, 3]);
      expect(bytes(await conn.nextNonPing())).toEqual([4, 5, 6]);
      conn.close();
    });
  });
}

test("WebSocket: the CONNECT reply and the auth event may share one TCP write and both are read", async () => {
  // What the upstream harness loses (protocol.md §0.4 item 1): read nothing until both have arrived.
  await using s = await startSioServer();
  const { ws } = await s.openWs();
  autoPong(ws);
  ws.send("40");
  // Nothing is read until both are in the buffer.
  const nonPing = () => ws.buffered.filter((f) => f !== "2");
  await until(() => (nonPing().length >= 2 ? true : undefined), 1000, "the CONNECT reply and the auth event");
  const frames = nonPing();
  expect(frames).toHaveLength(2);
  expectConnectReply(frames[0] as Frame, "40");
  expect(frames[1]).toBe('42["auth",{}]');
  ws.close();
});
