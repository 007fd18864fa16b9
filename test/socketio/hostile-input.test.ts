// Hostile Socket.IO input (protocol.md §3.3, §3.5; advisories.md §2, §3, §8): malformed event names,
// reserved names, attachment abuse (CVE-2022-2421, CVE-2026-33151), state confusion, deep nesting,
// throwing application code, and a thousand abrupt drops. The server must never crash: after every
// case a fresh client still connects and gets its message echoed.
import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import type { Server } from "../../src/socketio/index.ts";
import { describeFrame, upgradeRequest, type Frame, withTimeout, WsClient } from "../support/engine-server.ts";
import {
  eventually,
  expectConnectable,
  expectEchoed,
  expectWsClosed,
  nextNonPing,
  parseConnectReply,
  QUIET_SIO_OPTIONS,
  referenceFixture,
  type SioConnection,
  type StartedSio,
  startSioServer,
} from "../support/sio-server.ts";

type Recorded = { event: string; args: unknown[] };

/** One event-loop turn: the failures below happen asynchronously, without waiting on the clock. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What reached application code: onAny, the named handlers below, and socket "error" listeners. */
type Observed = { any: Recorded[]; handlers: Recorded[]; errors: unknown[] };

function hostileSetup(observed: Observed): (io: Server) => void {
  return (io) => {
    referenceFixture(io);
    io.on("connection", (socket) => {
      socket.onAny((event, ...args) => void observed.any.push({ event, args }));
      socket.on("error", (error) => void observed.errors.push(error));
      for (const event of ["hello", "x", "foo", "bar"]) {
        socket.on(event, (...args: unknown[]) => void observed.handlers.push({ event, args }));
      }
      socket.on("boom", () => {
        throw new Error("sync handler failure");
      });
      socket.on("async-boom", async () => {
        await nextTurn();
        throw new Error("async handler failure");
      });
    });
    io.of("/mw-throws").use(() => {
      throw new Error("mw boom");
    });
    io.of("/mw-async").use(async () => {
      await nextTurn();
      throw new Error("async mw boom");
    });
    io.of("/conn-throws").on("connection", (socket) => {
      socket.on("message", (...args: unknown[]) => void socket.emit("message-back", ...args));
      throw new Error("connection handler failure");
    });
  };
}

let consoleError: ReturnType<typeof spyOn> | undefined;

beforeEach(() => {
  // Reported application errors are expected here; keep them out of the output (and count them).
  consoleError = spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => {
  consoleError?.mockRestore();
  consoleError = undefined;
});

async function hostileServer(): Promise<{ s: StartedSio; observed: Observed }> {
  const observed: Observed = { any: [], handlers: [], errors: [] };
  const s = await startSioServer(QUIET_SIO_OPTIONS, hostileSetup(observed));
  return { s, observed };
}

async function connected(s: StartedSio): Promise<SioConnection> {
  const conn = await s.connect();
  expect(await nextNonPing(conn.ws)).toBe('42["auth",{}]');
  return conn;
}

async function expectEcho(conn: SioConnection, text: string): Promise<void> {
  conn.ws.send(`42["message",${JSON.stringify(text)}]`);
  expect(await nextNonPing(conn.ws)).toBe(`42["message-back",${JSON.stringify(text)}]`);
}

/** Sends frames after `40`, expects the server to close the connection, nothing to reach the app, and health after. */
async function expectRejected(frames: readonly Frame[]): Promise<void> {
  const { s, observed } = await hostileServer();
  await using _server = s;
  const conn = await connected(s);
  for (const frame of frames) if (!conn.ws.isClosed) conn.ws.send(frame);
  await expectWsClosed(conn.ws, 1000);
  expect(conn.ws.buffered.filter((f) => f !== "2").map(describeFrame)).toEqual([]);
  expect(observed.any).toEqual([]);
  expect(observed.handlers).toEqual([]);
  expect(observed.errors).toEqual([]);
  await eventually(() => s.io.of("/").sockets.size === 0, 1000, "the socket to be removed");
  await s.expectHealthy();
}

const PLACEHOLDER = (num: unknown) => `{"_placeholder":true,"num":${JSON.stringify(num)}}`;
const BIN = Uint8Array.from([1, 2, 3]);

describe("invalid event names close the connection (CVE-2023-32695, reserved names)", () => {
  const cases = [
    '42[{"toString":"foo"}]',
    '42[true,"foo"]',
    '42[null,"bar"]',
    '42[["x"],"foo"]',
    "42[]",
    '42["disconnect"]',
    '42["connect"]',
    '42["disconnecting"]',
    '42["newListener"]',
    '42["removeListener"]',
    '42["connect_error"]',
    '421["disconnect"]',
  ];
  for (const frame of cases) {
    test(frame, () => expectRejected([frame]));
  }
});

describe("malformed CONNECT and DISCONNECT packets close the connection", () => {
  const cases = ["40[]", '40"x"', "40null", "401", "40/custom,[]", '40{"a":1', "41{}", '41["x"]', "411"];
  for (const frame of cases) {
    test(frame, async () => {
      const { s } = await hostileServer();
      await using _server = s;
      const { ws } = await s.openWs();
      ws.send(frame);
      await expectWsClosed(ws, 1000);
      expect(ws.buffered.filter((f) => f !== "2").map(describeFrame)).toEqual([]);
      expect(s.io.of("/").sockets.size + s.io.of("/custom").sockets.size).toBe(0);
      await s.expectHealthy();
    });
  }
});

describe("prototype pollution through payloads", () => {
  test('"__proto__" and "constructor" keys in event data are echoed as plain data; Object.prototype stays clean', async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const data = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}';
    conn.ws.send(`42["message",${data}]`);
    expect(await nextNonPing(conn.ws)).toBe(`42["message-back",${data}]`);
    conn.ws.send(`451-["message",{"__proto__":${PLACEHOLDER(0)}}]`);
    conn.ws.send(BIN);
    expect(await nextNonPing(conn.ws)).toBe(`451-["message-back",{"__proto__":${PLACEHOLDER(0)}}]`);
    expect([...(await conn.ws.nextBinary())]).toEqual([1, 2, 3]);
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    conn.ws.close();
  });

  test('a CONNECT payload with "__proto__" is auth data, not a prototype', async () => {
    const seen: Record<string, unknown>[] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      referenceFixture(io);
      io.on("connection", (socket) => void seen.push(socket.handshake.auth));
    });
    const conn = await s.connect({ auth: JSON.parse('{"__proto__":{"admin":true}}') as Record<string, unknown> });
    expect(await nextNonPing(conn.ws)).toBe('42["auth",{"__proto__":{"admin":true}}]');
    const auth = seen[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(auth)).toBe(Object.prototype);
    expect(auth["admin"]).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("admin");
    conn.ws.close();
  });
});

describe("names that are Object.prototype members", () => {
  test('events "__proto__", "constructor", "toString", "hasOwnProperty": no crash, not closed, nothing dispatched to other handlers', async () => {
    const { s, observed } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
      conn.ws.send(`42${JSON.stringify([name, { x: 1 }])}`);
      conn.ws.send(`421${JSON.stringify([name])}`);
    }
    conn.ws.send('42["message","after prototype names"]');
    expect(await nextNonPing(conn.ws)).toBe('42["message-back","after prototype names"]');
    await expectEchoed(conn.ws);
    expect(observed.handlers).toEqual([]);
    expect(observed.errors).toEqual([]);
    await s.expectHealthy();
    conn.ws.close();
  });

  test('namespaces "/__proto__", "/constructor", "/toString" → exactly 44/<name>,{"message":"Invalid namespace"}', async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const { ws } = await s.openWs();
    for (const name of ["/__proto__", "/constructor", "/toString", "/hasOwnProperty"]) {
      ws.send(`40${name},`);
      expect(await nextNonPing(ws)).toBe(`44${name},{"message":"Invalid namespace"}`);
    }
    await expectConnectable(ws);
    await s.expectHealthy();
    ws.close();
  });

  test('a numeric event name (42[1,"x"]) is legal: dispatched as "1", connection kept', async () => {
    const seen: unknown[][] = [];
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      referenceFixture(io);
      io.on("connection", (socket) => socket.on("1", (...args: unknown[]) => void seen.push(args)));
    });
    const conn = await connected(s);
    conn.ws.send('42[1,"x"]');
    await expectEcho(conn, "after numeric");
    expect(seen).toEqual([["x"]]);
    conn.ws.close();
  });
});

describe("packets a client should never send", () => {
  // Only a server sends CONNECT_ERROR: from a client it is a protocol violation that ends the session.
  test('44{"message":"forged"} (CONNECT_ERROR) for the joined namespace closes the connection', () =>
    expectRejected(['44{"message":"forged"}']));
  test('44"forged" (CONNECT_ERROR, bare string) closes the connection', () => expectRejected(['44"forged"']));
  test('44/custom,{"message":"forged"} (CONNECT_ERROR for a namespace never joined) closes the connection', () =>
    expectRejected(['44/custom,{"message":"forged"}']));
  test('a CONNECT_ERROR over long-polling closes the session too', async () => {
    const { s, observed } = await hostileServer();
    await using _server = s;
    const client = await s.openPolling();
    await client.post("40");
    expect(String(await client.nextNonPing())).toStartWith('40{"sid":');
    expect(await client.nextNonPing()).toBe('42["auth",{}]');
    await client.post('44{"message":"forged"}');
    const { status, seen } = await client.expectClosed(1000);
    expect(status).toBe(400);
    expect(seen).toEqual([]);
    expect(observed.any).toEqual([]);
    await s.expectHealthy();
  });

  // DISCONNECT carries nothing, and only for a namespace the client is in.
  test('41{"a":1} (DISCONNECT with a payload) after joining closes the connection', () => expectRejected(['41{"a":1}']));
  test('41/custom,{} (DISCONNECT with a payload, another namespace) closes the connection', () => expectRejected(["41/custom,{}"]));
  test("41/never, (DISCONNECT for a namespace never joined) closes the connection", () => expectRejected(["41/never,"]));
  test("41/custom, (DISCONNECT for an existing namespace this client is not in) closes the connection", () =>
    expectRejected(["41/custom,"]));

  test("a BINARY_ACK for an id never used (461-5[…] + bin) is ignored", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send(`461-5[${PLACEHOLDER(0)}]`);
    conn.ws.send(BIN);
    await expectEcho(conn, "after stray binary ack");
    await expectEchoed(conn.ws);
    conn.ws.close();
  });
});

describe("unknown or empty Socket.IO packets close the connection", () => {
  for (const frame of ["4", "47", '47["x"]', "49", "4-", "4 ", '4\u00002["x"]']) {
    test(JSON.stringify(frame), () => expectRejected([frame]));
  }
});

describe("dynamic namespaces under hostile names", () => {
  function dynamicSetup(io: Server): void {
    referenceFixture(io);
    io.of(/^\/dyn-\d+$/);
    io.of((name, _auth, next) => {
      if (name === "/throws") throw new Error("matcher failure");
      if (name === "/twice") {
        next(null, false);
        next(null, true);
        return;
      }
      next(null, false);
    });
  }

  test("parent namespaces cannot be joined by name; a throwing or double-answering matcher refuses", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS, dynamicSetup);
    const { ws } = await s.openWs();
    for (const name of ["/_0", "/_1", "/_2", "/throws", "/twice", "/dyn-x", "/dyn-1/../x"]) {
      ws.send(`40${name},`);
      expect(await nextNonPing(ws)).toBe(`44${name},{"message":"Invalid namespace"}`);
    }
    ws.send("40/dyn-12,");
    parseConnectReply(await nextNonPing(ws), "/dyn-12");
    await expectConnectable(ws);
    await s.expectHealthy();
    ws.close();
  });
});

describe('a client "error" event (CVE-2024-38355)', () => {
  test('42["error","x"] → not closed, no crash, socket.on("error") does not receive it', async () => {
    const { s, observed } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send('42["error","x"]');
    conn.ws.send('42["error"]');
    conn.ws.send('42["message","after error"]');
    expect(await nextNonPing(conn.ws)).toBe('42["message-back","after error"]');
    await expectEchoed(conn.ws);
    expect(observed.errors).toEqual([]);
    await s.expectHealthy();
    conn.ws.close();
  });
});

describe("binary attachment abuse closes the connection", () => {
  test('451-["hello",{"_placeholder":true,"num":"splice"}] + bin (CVE-2022-2421)', () =>
    expectRejected([`451-["hello",${PLACEHOLDER("splice")}]`, BIN]));
  test('451-["x",{"_placeholder":true,"num":1}] + bin (index out of range)', () => expectRejected([`451-["x",${PLACEHOLDER(1)}]`, BIN]));
  test('451-["x",{"_placeholder":true,"num":-1}] + bin (negative index)', () => expectRejected([`451-["x",${PLACEHOLDER(-1)}]`, BIN]));
  test('451-["x",{"_placeholder":true,"num":0.5}] + bin (non-integer index)', () => expectRejected([`451-["x",${PLACEHOLDER(0.5)}]`, BIN]));
  test('451-["x",{"_placeholder":true,"num":"0"}] + bin (string index)', () => expectRejected([`451-["x",${PLACEHOLDER("0")}]`, BIN]));
  test('451-["x",{"_placeholder":true,"num":"__proto__"}] + bin', () => expectRejected([`451-["x",${PLACEHOLDER("__proto__")}]`, BIN]));
  test("4511-[…] (11 attachments, over maxAttachments 10; CVE-2026-33151)", () => {
    const placeholders = Array.from({ length: 11 }, (_, i) => PLACEHOLDER(i)).join(",");
    return expectRejected([`4511-["x",${placeholders}]`, ...Array.from({ length: 11 }, () => BIN)]);
  });
  test("10 attachments (the limit) are accepted and echoed", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const placeholders = Array.from({ length: 10 }, (_, i) => PLACEHOLDER(i)).join(",");
    conn.ws.send(`4510-["message",${placeholders}]`);
    for (let i = 0; i < 10; i++) conn.ws.send(Uint8Array.from([i]));
    expect(await nextNonPing(conn.ws)).toBe(`4510-["message-back",${placeholders}]`);
    for (let i = 0; i < 10; i++) expect([...(await conn.ws.nextBinary())]).toEqual([i]);
    conn.ws.close();
  });
  test('451000000-["x"] (a million attachments announced)', () => expectRejected(['451000000-["x",{"_placeholder":true,"num":0}]', BIN]));
  test('450-["x"] (zero attachments)', () => expectRejected(['450-["x"]']));
  test('45-["x"] (no count), 451["x"] (no dash), 45a-["x"] (not a number)', async () => {
    await expectRejected(['45-["x"]']);
    await expectRejected([`451["x",${PLACEHOLDER(0)}]`, BIN]);
    await expectRejected([`45a-["x",${PLACEHOLDER(0)}]`, BIN]);
  });
  test("a binary frame with no pending binary packet", () => expectRejected([BIN]));
  test("a text frame while waiting for attachments", () => expectRejected([`451-["x",${PLACEHOLDER(0)}]`, '42["x","text"]']));
  test("one attachment too many (a second binary frame after the packet completed)", async () => {
    const { s, observed } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send(`451-["x",${PLACEHOLDER(0)}]`);
    conn.ws.send(BIN);
    conn.ws.send(BIN);
    await expectWsClosed(conn.ws, 1000);
    // The complete packet before the surplus frame was legitimately dispatched.
    expect(observed.handlers.map((h) => h.event)).toEqual(["x"]);
    await s.expectHealthy();
  });
});

describe("ack ids", () => {
  // socket.io's ack ids are counters well below 2^31; a larger one is refused as a protocol error.
  test("2147483647 (2^31 - 1) is the largest ack id: answered as is", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send('422147483647["message-with-ack",1]');
    expect(await nextNonPing(conn.ws)).toBe("432147483647[1]");
    await expectEcho(conn, "still open");
    conn.ws.close();
  });
  test('422147483648["message-with-ack",1] (EVENT, ack id 2^31) closes the connection', () =>
    expectRejected(['422147483648["message-with-ack",1]']));
  test('429999999999["message-with-ack",1] (EVENT, 10-digit ack id) closes the connection', () =>
    expectRejected(['429999999999["message-with-ack",1]']));
  test('4202147483647["message-with-ack",1] (EVENT, 11 digits with a leading zero) closes the connection', () =>
    expectRejected(['4202147483647["message-with-ack",1]']));
  test('432147483648[1] (ACK, id 2^31) closes the connection', () => expectRejected(["432147483648[1]"]));
  test('42999999999999999999["message-with-ack",1] (ack id beyond 2^53) closes the connection', () =>
    expectRejected(['42999999999999999999["message-with-ack",1]']));
  test('43999999999999999999[1] (ACK id beyond 2^53) closes the connection', () => expectRejected(["43999999999999999999[1]"]));

  test("the server's own ack ids wrap after 2^31 - 1, so a client's answer is never refused", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const socket = [...s.io.of("/").sockets.values()][0];
    if (!socket) throw new Error("no server socket");
    // Billions of emits later: the namespace's counter is at the last valid id.
    (s.io.of("/") as unknown as { ackIds: number }).ackIds = 2 ** 31 - 1;
    const answers: unknown[] = [];
    socket.emit("q", (answer: unknown) => void answers.push(answer));
    socket.emit("q", (answer: unknown) => void answers.push(answer));
    expect(await nextNonPing(conn.ws)).toBe('422147483647["q"]');
    expect(await nextNonPing(conn.ws)).toBe('420["q"]');
    conn.ws.send("432147483647[1]");
    conn.ws.send("430[2]");
    await expectEcho(conn, "after the acks");
    expect(answers).toEqual([1, 2]);
  });
});

describe("deep nesting (stack exhaustion)", () => {
  const DEPTH = 100_000;

  async function expectClosedOrHandled(frames: readonly Frame[]): Promise<void> {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const started = Date.now();
    for (const frame of frames) conn.ws.send(frame);
    // Either outcome is acceptable, as long as it comes promptly and the server stays healthy.
    const outcome = await Promise.race([
      conn.ws.closed.then(() => "closed" as const),
      nextNonPing(conn.ws, 3000).then(
        (frame) => ({ frame }),
        () => "closed" as const,
      ),
    ]);
    if (outcome !== "closed") expect(String(outcome.frame).startsWith('42["message-back",')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    await s.expectHealthy();
    conn.ws.close();
  }

  test("ordinary nesting (an array 50 deep) is echoed", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const nested = `${"[".repeat(50)}1${"]".repeat(50)}`;
    conn.ws.send(`42["message",${nested}]`);
    expect(await nextNonPing(conn.ws)).toBe(`42["message-back",${nested}]`);
    conn.ws.close();
  });
  test(`an array nested ${DEPTH} deep in one EVENT`, () =>
    expectClosedOrHandled([`42["message",${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}]`]));
  test(`an object nested ${DEPTH} deep in one EVENT`, () =>
    expectClosedOrHandled([`42["message",${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}]`]));
  test(`a placeholder at the bottom of an array nested ${DEPTH} deep in a BINARY_EVENT`, () =>
    expectClosedOrHandled([`451-["message",${"[".repeat(DEPTH)}${PLACEHOLDER(0)}${"]".repeat(DEPTH)}]`, BIN]));
  test(`a CONNECT payload nested ${DEPTH} deep: answered 44{"message":"payload too deeply nested"}, the connection stays open`, async () => {
    // maxAuthSize raised so the depth bound, not the size bound, answers these 200 KB.
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, maxAuthSize: 1e6 });
    const { ws } = await s.openWs();
    ws.send(`40{"a":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}`);
    expect(await nextNonPing(ws)).toBe('44{"message":"payload too deeply nested"}');
    ws.send("40");
    parseConnectReply(await nextNonPing(ws));
    await s.expectHealthy();
    ws.close();
  });
});

describe("CONNECT payloads over the limits are answered with a CONNECT_ERROR, never left hanging", () => {
  test("auth of 900 KB: 44{\"message\":\"auth payload too large\"} at once; no socket, no connection event", async () => {
    let connections = 0;
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      referenceFixture(io);
      io.on("connection", () => void connections++);
    });
    const { ws } = await s.openWs();
    ws.send(`40{"blob":"${"x".repeat(900_000)}"}`);
    expect(await nextNonPing(ws)).toBe('44{"message":"auth payload too large"}');
    ws.send('40/custom,{"blob":"' + "é".repeat(9_000) + '"}'); // 18 000 bytes of UTF-8: over 16 KiB
    expect(await nextNonPing(ws)).toBe('44/custom,{"message":"auth payload too large"}');
    expect(connections).toBe(0);
    expect(s.io.of("/").sockets.size + s.io.of("/custom").sockets.size).toBe(0);
    // The session is still usable for a CONNECT within the limit.
    ws.send(`40{"blob":"${"x".repeat(16_000)}"}`);
    parseConnectReply(await nextNonPing(ws));
    ws.close();
  });

  test("auth nested one level beyond the depth limit (65 + the object) over polling: answered, then closed at connectTimeout", async () => {
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, connectTimeout: 500 });
    const client = await s.openPolling();
    const started = Date.now();
    await client.post(`40/custom,{"a":${"[".repeat(64)}${"]".repeat(64)}}`);
    expect(await client.nextNonPing()).toBe('44/custom,{"message":"payload too deeply nested"}');
    const { status } = await client.expectClosed(1500);
    expect(status).toBe(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test("maxAuthSize is configurable; a second CONNECT over the limit for a joined namespace still closes (invalid state)", async () => {
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, maxAuthSize: 100 });
    const { ws } = await s.openWs();
    ws.send(`40{"token":"${"t".repeat(100)}"}`);
    expect(await nextNonPing(ws)).toBe('44{"message":"auth payload too large"}');
    ws.send(`40{"token":"${"t".repeat(80)}"}`);
    parseConnectReply(await nextNonPing(ws));
    ws.send(`40{"token":"${"t".repeat(100)}"}`);
    await expectWsClosed(ws, 1000);
  });
});

describe("throwing application code", () => {
  test("a handler that throws: the client stays connected and the next event works", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send('42["boom"]');
    conn.ws.send('42["message","after boom"]');
    expect(await nextNonPing(conn.ws)).toBe('42["message-back","after boom"]');
    await expectEchoed(conn.ws);
    expect(consoleError).toHaveBeenCalled();
    conn.ws.close();
  });

  test("an async handler that rejects: the client stays connected and the next event works", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    conn.ws.send('42["async-boom"]');
    // The rejection is reported (console.error) once it happened.
    await eventually(() => (consoleError?.mock.calls.length ?? 0) > 0, 1000, "the reported rejection");
    conn.ws.send('42["message","after async boom"]');
    expect(await nextNonPing(conn.ws)).toBe('42["message-back","after async boom"]');
    await expectEchoed(conn.ws);
    expect(consoleError).toHaveBeenCalled();
    conn.ws.close();
  });

  test("a connection handler that throws: the CONNECT still succeeds and the socket works", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await s.connect({ nsp: "/conn-throws" });
    conn.ws.send('42/conn-throws,["message","hi"]');
    expect(await nextNonPing(conn.ws)).toBe('42/conn-throws,["message-back","hi"]');
    await expectEchoed(conn.ws, "/conn-throws");
    await s.expectHealthy();
    conn.ws.close();
  });

  test("an ack callback that throws: no crash, the connection stays up", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const conn = await connected(s);
    const socket = s.io.of("/").sockets.get(conn.socketId);
    socket?.emit("ask", () => {
      throw new Error("ack callback failure");
    });
    expect(await nextNonPing(conn.ws)).toBe('420["ask"]');
    conn.ws.send("430[]");
    conn.ws.send('42["message","after ack"]');
    expect(await nextNonPing(conn.ws)).toBe('42["message-back","after ack"]');
    await expectEchoed(conn.ws);
    conn.ws.close();
  });

  test("a middleware that throws → CONNECT_ERROR with its message; the connection stays open", async () => {
    const { s } = await hostileServer();
    await using _server = s;
    const { ws } = await s.openWs();
    ws.send("40/mw-throws,");
    expect(await nextNonPing(ws)).toBe('44/mw-throws,{"message":"mw boom"}');
    ws.send("40/mw-async,");
    expect(await nextNonPing(ws)).toBe('44/mw-async,{"message":"async mw boom"}');
    ws.send("40");
    parseConnectReply(await nextNonPing(ws));
    expect(await nextNonPing(ws)).toBe('42["auth",{}]');
    await s.expectHealthy();
    ws.close();
  });
});

describe("a CONNECT still in an async middleware", () => {
  /** A "/" middleware that answers only when the test opens the gate; `answered` resolves a turn after its next(). */
  function gatedMiddleware(connections: string[]) {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let answered: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      answered = resolve;
    });
    let calls = 0;
    const setup = (io: Server) => {
      referenceFixture(io);
      io.use((_socket, next) => {
        calls++;
        void gate.then(() => {
          next();
          // A whole event-loop turn later: whatever next() set off (joins, the connection event) has run.
          setImmediate(answered);
        });
      });
      io.on("connection", (socket) => void connections.push(socket.id));
    };
    return { setup, open: () => open(), answered: done, calls: () => calls };
  }

  test("a second CONNECT to the same namespace closes the connection; no socket is left behind", async () => {
    const connections: string[] = [];
    const middleware = gatedMiddleware(connections);
    await using s = await startSioServer(QUIET_SIO_OPTIONS, middleware.setup);
    const { ws } = await s.openWs();
    ws.send("40");
    ws.send("40");
    await expectWsClosed(ws, 1000);
    // The first CONNECT's middleware answers only now, after the close.
    middleware.open();
    await withTimeout(middleware.answered, 1000, "the middleware's answer");
    expect(connections).toEqual([]);
    expect(s.io.of("/").sockets.size).toBe(0);
    expect(s.io.of("/").adapter.sids.size).toBe(0);
    await s.expectHealthy();
  });

  test("an EVENT before the CONNECT completed closes the connection (invalid state)", async () => {
    const connections: string[] = [];
    const middleware = gatedMiddleware(connections);
    await using s = await startSioServer(QUIET_SIO_OPTIONS, middleware.setup);
    const { ws } = await s.openWs();
    ws.send("40");
    ws.send('42["message","too early"]');
    await expectWsClosed(ws, 1000);
    middleware.open();
    await withTimeout(middleware.answered, 1000, "the middleware's answer");
    expect(connections).toEqual([]);
    expect(s.io.of("/").sockets.size).toBe(0);
  });

  test("the client leaves before the middleware answers: no connection event, no socket left behind", async () => {
    const connections: string[] = [];
    const middleware = gatedMiddleware(connections);
    await using s = await startSioServer(QUIET_SIO_OPTIONS, middleware.setup);
    const { ws } = await s.openWs();
    ws.send("40");
    await eventually(() => middleware.calls() === 1, 1000, "the CONNECT in the middleware");
    ws.close();
    await eventually(() => s.io.engine.clientsCount === 0, 1000, "the engine session to close");
    middleware.open();
    await withTimeout(middleware.answered, 1000, "the middleware's answer");
    expect(connections).toEqual([]);
    expect(s.io.of("/").sockets.size).toBe(0);
    expect(s.io.of("/").adapter.sids.size).toBe(0);
    expect(s.io.engine.clientsCount).toBe(0);
  });
});

describe("middleware errors whose data JSON cannot carry", () => {
  // e.g. err.data = { user } where the user row has a BigInt id, or an object with a cycle. The server must
  // neither crash nor leave the CONNECT unanswered: a CONNECT_ERROR (its message at least) or a close.
  const KINDS = {
    "plain data (control)": () => ({ code: 1 }),
    "a BigInt": () => ({ id: 1n }),
    "a cycle": () => {
      const cyclic: Record<string, unknown> = {};
      cyclic["self"] = cyclic;
      return cyclic;
    },
  } as const;

  async function expectAnswered(ws: WsClient): Promise<void> {
    const outcome = await Promise.race([
      ws.closed.then(() => "closed" as const),
      nextNonPing(ws, 1000).then(
        (frame) => ({ frame }),
        (error: unknown) => ({ error: String(error) }),
      ),
    ]);
    if (outcome === "closed") return;
    if ("error" in outcome) throw new Error(`the CONNECT was never answered (${outcome.error})`);
    expect(String(outcome.frame).startsWith('44/guarded,{"message":"refused"')).toBe(true);
  }

  for (const [label, makeData] of Object.entries(KINDS)) {
    test(`err.data with ${label}, next(err) called synchronously: answered, no crash`, async () => {
      await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
        referenceFixture(io);
        io.of("/guarded").use((_socket, next) => {
          const error = new Error("refused") as Error & { data?: unknown };
          error.data = makeData();
          next(error);
        });
      });
      const { ws } = await s.openWs();
      ws.send("40/guarded,");
      await expectAnswered(ws);
      await s.expectHealthy();
      ws.close();
    });

    test(`err.data with ${label}, next(err) called from a timer: the server process survives and answers`, async () => {
      // In a child process: an exception escaping a timer would end it, which is exactly what is checked.
      const script = `
        import { Server } from ${JSON.stringify(`${import.meta.dir}/../../src/socketio/index.ts`)};
        const makeData = ${makeData.toString()};
        const io = new Server({ pingInterval: 10000, pingTimeout: 5000 });
        io.of("/guarded").use((_socket, next) => {
          setTimeout(() => { const error = new Error("refused"); error.data = makeData(); next(error); }, 5);
        });
        io.on("connection", (socket) => socket.on("message", (...args) => socket.emit("message-back", ...args)));
        const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
        console.log("PORT " + server.port);
      `;
      const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
      try {
        const port = await readPort(child.stdout);
        const ws = new WsClient(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
        await ws.nextText(1000); // open packet
        ws.send("40/guarded,");
        const answered = expectAnswered(ws).then(
          () => ({ answered: true as const }),
          (error: unknown) => ({ answered: false as const, error: String(error) }),
        );
        const first = await Promise.race([child.exited.then((code) => ({ exited: code })), answered]);
        const exited = async (code: number | null) => {
          const stderr = await new Response(child.stderr).text();
          return new Error(`the server process exited with code ${code}:\n${stderr.slice(0, 600)}`);
        };
        if ("exited" in first) throw await exited(first.exited);
        if (!first.answered) throw new Error(first.error);
        ws.close();
        // Sentinel: a fresh client's full round trip after the answer. A process that died right after
        // answering (an exception escaping the timer) cannot give it.
        const fresh = new WsClient(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
        try {
          await fresh.nextText(1000);
          fresh.send("40");
          parseConnectReply(await nextNonPing(fresh));
          fresh.send('42["message","alive"]');
          expect(await nextNonPing(fresh)).toBe('42["message-back","alive"]');
        } catch (error) {
          if (child.exitCode !== null) throw await exited(child.exitCode);
          throw error;
        }
        expect(child.exitCode).toBeNull();
        fresh.close();
      } finally {
        child.kill();
        await child.exited;
      }
    });
  }
});

async function readPort(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 5000;
  try {
    while (Date.now() < deadline) {
      const match = /PORT (\d+)/.exec(text);
      if (match) return Number(match[1]);
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`the child server printed no port: ${JSON.stringify(text.slice(0, 300))}`);
}

describe("connectTimeout bounds connections that never join a namespace", () => {
  test("refused CONNECTs (unknown namespace) do not extend it: closed at connectTimeout", async () => {
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, connectTimeout: 500 });
    const started = Date.now();
    const { ws } = await s.openWs();
    ws.send("40/random,");
    expect(await nextNonPing(ws)).toBe('44/random,{"message":"Invalid namespace"}');
    await expectWsClosed(ws, 1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test("a CONNECT whose middleware never calls next() does not keep the connection past connectTimeout", async () => {
    // socket.io closes the client when no namespace is joined at connectTimeout (client.ts setup(): nsps.size === 0),
    // whether or not a CONNECT is still in its middlewares: a hung middleware must not pin connections.
    let middlewareCalls = 0;
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, connectTimeout: 500 }, (io) => {
      referenceFixture(io);
      io.use(() => void middlewareCalls++); // never answers
    });
    const started = Date.now();
    const { ws } = await s.openWs();
    ws.send("40");
    await eventually(() => middlewareCalls === 1, 1000, "the middleware call");
    await expectWsClosed(ws, 1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(s.io.engine.clientsCount).toBe(0);
  });
});

describe("namespace isolation", () => {
  test("a client-chosen dynamic namespace name containing NUL never receives another namespace's room broadcasts", async () => {
    // Dynamic namespaces let the client pick the name ("/t1\u0000a" matches /^\/t\d+/); room names often come
    // from users too. Delivery must not depend on how (namespace, room) pairs are joined into one key.
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      io.of(/^\/t\d+/).on("connection", (socket) => {
        socket.join(socket.nsp.name === "/t1" ? "a\u0000general" : "general");
      });
    });
    const victims = [await s.connect({ nsp: "/t1" }), await s.connect({ nsp: "/t1" })];
    const { ws: attacker } = await s.openWs();
    attacker.send("40/t1\u0000a,");
    const reply = await nextNonPing(attacker);
    if (typeof reply === "string" && reply.startsWith("44")) return; // refusing such names is fine too
    parseConnectReply(reply, "/t1\u0000a");
    s.io.of("/t1").to("a\u0000general").emit("secret", 1);
    for (const victim of victims) expect(await nextNonPing(victim.ws)).toBe('42/t1,["secret",1]');
    // Sentinel: an emit to the attacker's namespace after the secret is the first frame it gets.
    s.io.of("/t1\u0000a").emit("sentinel");
    expect(await nextNonPing(attacker)).toBe('42/t1\u0000a,["sentinel"]');
    for (const victim of victims) victim.ws.close();
    attacker.close();
  });
});

describe("late work after a disconnect (advisories.md §8.1)", () => {
  test("socket.join() after the client left creates no room (no leak)", async () => {
    let joined = 0;
    await using s = await startSioServer(QUIET_SIO_OPTIONS, (io) => {
      referenceFixture(io);
      io.on("connection", (socket) => {
        // The slow work (e.g. a database lookup) finishes only once the client has left.
        const left = new Promise<void>((resolve) => socket.on("disconnect", () => resolve()));
        socket.on("slow-join", async () => {
          await left;
          socket.join("late-room");
          socket.emit("joined");
          joined++;
        });
      });
    });
    const conn = await connected(s);
    conn.ws.send('42["slow-join"]');
    conn.ws.close();
    await eventually(() => joined === 1, 1000, "the late join");
    const nsp = s.io.of("/");
    expect(nsp.sockets.size).toBe(0);
    expect(nsp.adapter.rooms.has("late-room")).toBe(false);
    expect(nsp.adapter.rooms.size).toBe(0);
    expect(nsp.adapter.sids.size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

/** A masked client text frame (payload < 126 bytes). */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  frame.set(mask, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return frame;
}

/** Raw TCP: WebSocket upgrade, CONNECT to "/", wait for the reply, then reset the connection (no close frame). */
function rawConnectAndDrop(port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let received = "";
    let upgraded = false;
    let done = false;
    const timer = setTimeout(() => finish(new Error(`raw client: no CONNECT reply (got ${JSON.stringify(received.slice(0, 200))})`)), 5000);
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(upgradeRequest(port, "/socket.io/?EIO=4&transport=websocket"));
        },
        data(socket, data) {
          received += Buffer.from(data).toString("latin1");
          if (!upgraded && received.includes("\r\n\r\n")) {
            if (!received.startsWith("HTTP/1.1 101")) return finish(new Error(`raw client: ${received.slice(0, 100)}`));
            upgraded = true;
            socket.write(maskedTextFrame("40"));
          }
          if (upgraded && received.includes('40{"sid"')) {
            socket.terminate();
            finish();
          }
        },
        close() {
          finish(upgraded && received.includes('40{"sid"') ? undefined : new Error("raw client: closed early"));
        },
        error(_socket, error) {
          finish(error);
        },
      },
    }).catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
  });
}

describe("abrupt drops", () => {
  test("1000 sockets connecting and dropping abruptly leave no engine client, socket or room behind", async () => {
    let connections = 0;
    // No heartbeat and no connect timeout within the test: only close detection can clean up.
    await using s = await startSioServer({ ...QUIET_SIO_OPTIONS, connectTimeout: 45_000 }, (io) => {
      referenceFixture(io);
      io.on("connection", (socket) => {
        connections++;
        socket.join("everyone");
      });
    });
    const BATCH = 100;
    const run = async (count: number, one: () => Promise<void>) => {
      for (let done = 0; done < count; done += BATCH) {
        await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, one));
      }
    };
    // 400 connect fully, then close the WebSocket.
    await run(400, async () => {
      const conn = await s.connect();
      conn.ws.close();
    });
    // 300 send CONNECT and close at once, without waiting for anything.
    await run(300, async () => {
      const { ws } = await s.openWs();
      ws.send("40");
      ws.close();
    });
    // 300 connect over raw TCP and reset the connection (no close frame).
    await run(300, () => rawConnectAndDrop(s.port));
    expect(connections).toBeGreaterThanOrEqual(700);

    const nsp = s.io.of("/");
    await eventually(() => s.io.engine.clientsCount === 0 && nsp.sockets.size === 0, 5000, "every client to be gone").catch(
      (error: unknown) => {
        throw new Error(
          `${String(error)}: clientsCount ${s.io.engine.clientsCount}, sockets ${nsp.sockets.size}, rooms ${nsp.adapter.rooms.size}`,
        );
      },
    );
    expect(nsp.adapter.rooms.size).toBe(0);
    expect(nsp.adapter.sids.size).toBe(0);
    await s.expectHealthy();
  });
});
