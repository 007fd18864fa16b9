// WebSocket transport: the official suite's message/ws cases (protocol.md §1.1 #13–15) and §2.4:
// one packet per frame, raw binary, 1009 over maxHttpBufferSize, v4 heartbeat direction.
import { describe, expect, test } from "bun:test";
import { QUIET_OPTIONS, startEngineServer, SUITE_OPTIONS } from "../support/engine-server.ts";

describe("engine.io-protocol suite: message/ws", () => {
  test("#13 sends and receives a plain text packet", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws } = await s.openWsSession();
    ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.close();
  });

  test("#14 sends and receives a binary packet", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws } = await s.openWsSession();
    ws.send(new Uint8Array([1, 2, 3, 4]));
    expect([...(await ws.nextBinary())]).toEqual([1, 2, 3, 4]);
    ws.close();
  });

  test("#15 closes the session upon invalid packet format", async () => {
    // Not the suite's 300/200 heartbeat: it would close the session by itself within the wait. With
    // a 10 s heartbeat only the frame can close it, and the reason shows it did.
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("abc");
    await ws.waitClosed(1000);
    expect((await s.closeOf(sid)).reason).toBe("parse error");
  });
});

describe("websocket transport", () => {
  test("text and binary echo; the server sees string and Uint8Array", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("4héllo 😀");
    ws.send(new Uint8Array([0, 255, 7]));
    ws.send("4");
    expect(await ws.next()).toBe("4héllo 😀");
    expect([...(await ws.nextBinary())]).toEqual([0, 255, 7]);
    expect(await ws.next()).toBe("4");
    const received = s.messages.filter((m) => m.sid === sid).map((m) => m.data);
    expect(received[0]).toBe("héllo 😀");
    expect(received[1]).toBeInstanceOf(Uint8Array);
    expect([...(received[1] as Uint8Array)]).toEqual([0, 255, 7]);
    expect(received[2]).toBe("");
    ws.close();
  });

  test("server sends: text as '4…', binary raw without a type prefix, several in order", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    const session = await s.session(sid);
    session.send("one");
    session.send(new Uint8Array([9, 8]), "two", new Uint8Array([]));
    expect(await ws.next()).toBe("4one");
    expect([...(await ws.nextBinary())]).toEqual([9, 8]);
    expect(await ws.next()).toBe("4two");
    expect((await ws.nextBinary()).byteLength).toBe(0);
    ws.close();
  });

  test("a text frame larger than maxHttpBufferSize → close 1009", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { ws, sid } = await s.openWsSession();
    ws.send(`4${"x".repeat(2000)}`);
    expect(await ws.waitClosed(1000)).toBe(1009);
    await s.closeOf(sid);
    expect(s.messages).toHaveLength(0);
  });

  test("a binary frame larger than maxHttpBufferSize → close 1009", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { ws } = await s.openWsSession();
    ws.send(new Uint8Array(1001));
    expect(await ws.waitClosed(1000)).toBe(1009);
  });

  test("a frame of exactly maxHttpBufferSize is accepted", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { ws } = await s.openWsSession();
    const frame = `4${"z".repeat(999)}`;
    ws.send(frame);
    expect(await ws.next()).toBe(frame);
    ws.close();
  });

  test("an invalid packet 'abc' → closed with reason 'parse error'", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("abc");
    await ws.waitClosed(1000);
    expect((await s.closeOf(sid)).reason).toBe("parse error");
  });

  test("an empty text frame is an invalid packet → close", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("");
    await ws.waitClosed(1000);
    expect((await s.closeOf(sid)).reason).toBe("parse error");
  });

  test("a client ping '2' is a protocol error in v4 → close", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("2");
    await ws.waitClosed(1000);
    expect(await s.closeOf(sid)).toMatchObject({ reason: "transport error", description: "invalid heartbeat direction" });
    expect(s.engine.clientsCount).toBe(0);
  });

  test("packets '5' and '6' outside an upgrade are ignored: the session survives", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws } = await s.openWsSession();
    ws.send("5");
    ws.send("6");
    ws.send("4still alive");
    expect(await ws.next()).toBe("4still alive");
    expect(ws.isClosed).toBe(false);
    expect(s.closes).toHaveLength(0);
    ws.close();
  });

  test("an unsolicited pong '3' is ignored", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws } = await s.openWsSession();
    ws.send("3");
    ws.send("4ok");
    expect(await ws.next()).toBe("4ok");
    expect(s.closes).toHaveLength(0);
    ws.close();
  });

  test("binary messages handed to onmessage stay intact after later frames (no reused buffers)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws } = await s.openWsSession();
    const frames = Array.from({ length: 50 }, (_, i) => new Uint8Array(64).fill(i));
    for (const frame of frames) ws.send(frame);
    for (let i = 0; i < frames.length; i++) await ws.nextBinary();
    expect(s.messages).toHaveLength(50);
    s.messages.forEach((message, i) => {
      expect(message.data).toBeInstanceOf(Uint8Array);
      expect([...(message.data as Uint8Array)]).toEqual([...(frames[i] as Uint8Array)]);
    });
    ws.close();
  });

  test("many frames in a burst are echoed in order", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws } = await s.openWsSession();
    for (let i = 0; i < 1000; i++) ws.send(`4n${i}`);
    for (let i = 0; i < 1000; i++) expect(await ws.next()).toBe(`4n${i}`);
    ws.close();
  });
});
