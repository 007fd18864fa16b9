// msgpack on the wire with exact frames: the CONNECT handshake and echo over websocket and polling
// (binary messages, `b<base64>` on polling), and hostile input (garbage, wrong types, depth bombs,
// lying lengths, a text frame mid-session) that closes only the offending session: a fresh client
// of each format is still served afterwards.
import { describe, expect, test } from "bun:test";
import { decode, encode } from "notepack.io";
import { describeFrame, type Frame } from "../support/engine-server.ts";
import { expectWsClosed, nextNonPing, type StartedSio, startSioServer } from "../support/sio-server.ts";

function unpack(frame: Frame): Record<string, unknown> {
  if (typeof frame === "string") throw new Error(`expected a binary frame, got ${describeFrame(frame)}`);
  const value: unknown = decode(Buffer.from(frame));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a msgpack map");
  return value as Record<string, unknown>;
}

/** A raw websocket that CONNECTed to "/" in msgpack and got the fixture's "auth" event. */
async function msgpackConnection(s: StartedSio) {
  const { ws } = await s.openWs();
  ws.send(encode({ type: 0, nsp: "/" }));
  const reply = unpack(await nextNonPing(ws));
  expect(reply["type"]).toBe(0);
  expect(reply["nsp"]).toBe("/");
  expect(typeof (reply["data"] as { sid?: unknown }).sid).toBe("string");
  expect(unpack(await nextNonPing(ws))).toEqual({ type: 2, data: ["auth", {}], nsp: "/" });
  return ws;
}

/** A fresh msgpack client gets its message echoed, and a fresh default one too. */
async function expectBothHealthy(s: StartedSio): Promise<void> {
  const ws = await msgpackConnection(s);
  ws.send(encode({ type: 2, nsp: "/", data: ["message", "alive", Buffer.from([1])] }));
  const echo = unpack(await nextNonPing(ws));
  expect(echo["data"]).toEqual(["message-back", "alive", Buffer.from([1])]);
  ws.close();
  await s.expectHealthy();
}

describe("msgpack over a raw websocket", () => {
  test("CONNECT, the fixture's auth event, echo and ack, all as single binary frames", async () => {
    await using s = await startSioServer();
    const { ws } = await s.openWs();
    ws.send(encode({ type: 0, data: { token: "abc" }, nsp: "/" }));
    const reply = unpack(await nextNonPing(ws));
    expect(Object.keys(reply)).toEqual(["type", "data", "nsp"]);
    expect(unpack(await nextNonPing(ws))).toEqual({ type: 2, data: ["auth", { token: "abc" }], nsp: "/" });
    ws.send(encode({ type: 2, data: ["message-with-ack", 1, { two: [2] }], id: 5, nsp: "/" }));
    expect(unpack(await nextNonPing(ws))).toEqual({ type: 3, data: [1, { two: [2] }], id: 5, nsp: "/" });
    ws.send(encode({ type: 0, nsp: "/custom" }));
    const custom = unpack(await nextNonPing(ws));
    expect(custom["nsp"]).toBe("/custom");
    expect(unpack(await nextNonPing(ws))).toEqual({ type: 2, data: ["auth", {}], nsp: "/custom" });
    ws.send(encode({ type: 0, nsp: "/nowhere" }));
    expect(unpack(await nextNonPing(ws))).toEqual({ type: 4, data: { message: "Invalid namespace" }, nsp: "/nowhere" });
    ws.close();
  });

  test("an auth over maxAuthSize is answered with a CONNECT_ERROR and the connection stays open", async () => {
    await using s = await startSioServer({ maxAuthSize: 1000 });
    const { ws } = await s.openWs();
    ws.send(encode({ type: 0, data: { token: "x".repeat(2000) }, nsp: "/" }));
    expect(unpack(await nextNonPing(ws))).toEqual({ type: 4, data: { message: "auth payload too large" }, nsp: "/" });
    // Still open (a sentinel, not a quiet period): another namespace can be joined on it.
    ws.send(encode({ type: 0, nsp: "/custom" }));
    expect(unpack(await nextNonPing(ws))["nsp"]).toBe("/custom");
    ws.close();
  });

  const firstFrames: { label: string; frame: Uint8Array }[] = [
    { label: "garbage bytes", frame: new Uint8Array([0xc1, 0x00, 0xff]) },
    { label: "a msgpack string, not a map", frame: encode("40") },
    { label: "a map with a wrong type", frame: encode({ type: "0", nsp: "/" }) },
    { label: "a map claiming 2^32-1 entries", frame: new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]) },
  ];
  for (const { label, frame } of firstFrames) {
    test(`a first frame of ${label} closes the session; others are served`, async () => {
      await using s = await startSioServer();
      const { ws } = await s.openWs();
      ws.send(frame);
      await expectWsClosed(ws);
      await expectBothHealthy(s);
    });
  }

  const afterConnect: { label: string; frame: Frame }[] = [
    { label: "an EVENT with a number for its data", frame: encode({ type: 2, nsp: "/", data: 5 }) },
    { label: "an EVENT named disconnect", frame: encode({ type: 2, nsp: "/", data: ["disconnect"] }) },
    { label: "an EVENT named by a map", frame: encode({ type: 2, nsp: "/", data: [{ toString: "x" }] }) },
    { label: "an ack id of -1", frame: encode({ type: 2, nsp: "/", data: ["message"], id: -1 }) },
    { label: "a second CONNECT to /", frame: encode({ type: 0, nsp: "/" }) },
    { label: "an EVENT for a namespace not joined", frame: encode({ type: 2, nsp: "/custom", data: ["x"] }) },
    { label: "a CONNECT_ERROR from the client", frame: encode({ type: 4, nsp: "/", data: { message: "x" } }) },
    { label: "a text frame", frame: '42["message","x"]' },
    { label: "a __proto__ key", frame: new Uint8Array([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa9, ...Buffer.from("__proto__"), 0x80]) },
  ];
  for (const { label, frame } of afterConnect) {
    test(`after CONNECT, ${label} closes the session; others are served`, async () => {
      await using s = await startSioServer();
      const ws = await msgpackConnection(s);
      ws.send(frame);
      await expectWsClosed(ws);
      await expectBothHealthy(s);
    });
  }

  test("a depth bomb (900 000 nested arrays in one EVENT) closes the session at once", async () => {
    await using s = await startSioServer();
    const ws = await msgpackConnection(s);
    const head = [...encode({ type: 2, nsp: "/" })];
    head[0] = 0x83;
    const prefix = [...head, 0xa4, ...Buffer.from("data"), 0x92, 0xa1, 0x78];
    const bomb = new Uint8Array(prefix.length + 900_001).fill(0x91);
    bomb.set(prefix);
    bomb[bomb.length - 1] = 0x01;
    ws.send(bomb);
    await expectWsClosed(ws, 2000);
    await expectBothHealthy(s);
  });
});

test("a depth bomb placed before the packet's type (the whole message walked) closes the session too", async () => {
  await using s = await startSioServer();
  const ws = await msgpackConnection(s);
  const tail = [...encode({ type: 2, nsp: "/" })].slice(1);
  const prefix = [0x83, 0xa4, ...Buffer.from("data"), 0x92, 0xa1, 0x78];
  const bomb = new Uint8Array(prefix.length + 900_001 + tail.length).fill(0x91);
  bomb.set(prefix);
  bomb[prefix.length + 900_000] = 0x01;
  bomb.set(tail, prefix.length + 900_001);
  ws.send(bomb);
  await expectWsClosed(ws, 2000);
  await expectBothHealthy(s);
});

describe("msgpack over long-polling (binary messages as b<base64>)", () => {
  test("CONNECT and echo; then garbage closes the session", async () => {
    await using s = await startSioServer();
    const polling = await s.openPolling();
    expect((await polling.post(encode({ type: 0, nsp: "/" }))).status).toBe(200);
    const reply = unpack(await polling.nextNonPing());
    expect(reply["type"]).toBe(0);
    expect(unpack(await polling.nextNonPing())).toEqual({ type: 2, data: ["auth", {}], nsp: "/" });
    await polling.post(encode({ type: 2, nsp: "/", data: ["message", Buffer.from([3, 4])] }));
    expect(unpack(await polling.nextNonPing())).toEqual({ type: 2, data: ["message-back", Buffer.from([3, 4])], nsp: "/" });

    await polling.post(new Uint8Array([0xc1]));
    // The session ends: the next GET gets its close packet, then the sid is unknown.
    const ended = await polling.nextNonPing().then(
      (frame) => frame,
      (error: unknown) => String(error),
    );
    expect(ended === "1" || String(ended).includes("polling session gone")).toBe(true);
    await expectBothHealthy(s);
  });
});
