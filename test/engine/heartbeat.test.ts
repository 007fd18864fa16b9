// v4 heartbeat (server pings): the official suite's heartbeat cases (protocol.md §1.1 #16–19) and
// the timing notes of §1.2 / §2.5: first ping at +pingInterval, pong deadline from the queued ping.
import { describe, expect, test } from "bun:test";
import { echoBarrier, errorBody, startEngineServer, SUITE_OPTIONS, withTimeout } from "../support/engine-server.ts";

/** The suite's ping every 300 ms, with 2 s for the pong: for cases about pings and pongs, not the deadline. */
const TOLERANT_PONG = { ...SUITE_OPTIONS, pingTimeout: 2000 };

describe("engine.io-protocol suite: heartbeat", () => {
  test("#16 polling: sends ping/pong packets", async () => {
    // The suite's pingInterval; a pong may be 2 s late (not 200 ms): a loaded machine's POST can take longer.
    await using s = await startEngineServer(TOLERANT_PONG);
    const { sid } = await s.handshake();
    for (let i = 0; i < 3; i++) {
      const ping = await withTimeout(s.get(sid), 1500, `ping ${i + 1}`);
      expect({ status: ping.status, body: ping.body }).toEqual({ status: 200, body: "2" });
      const pong = await s.post(sid, "3");
      expect(pong.status).toBe(200);
    }
  });

  test("#17 polling: closes the session upon ping timeout", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const started = Date.now();
    const { sid } = await s.handshake();
    // The suite sleeps 500 ms (pingInterval 300 + pingTimeout 200) and then polls; here the close
    // itself is awaited. No GET is sent before it: a server that starts the pong deadline only once
    // a GET carries the ping never closes, and this times out.
    expect((await s.closeOf(sid, 1500)).reason).toBe("ping timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect((await s.get(sid)).status).toBe(400);
  });

  test("#18 websocket: sends ping/pong packets", async () => {
    await using s = await startEngineServer(TOLERANT_PONG);
    const { ws } = await s.openWsSession();
    for (let i = 0; i < 3; i++) {
      expect(await ws.next(1500)).toBe("2");
      ws.send("3");
    }
    ws.close();
  });

  test("#19 websocket: closes the session upon ping timeout", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws } = await s.openWsSession();
    expect(await ws.next(1500)).toBe("2");
    await ws.waitClosed(1500);
  });
});

describe("heartbeat timing", () => {
  test("websocket: no ping right after the open packet; the first one at +pingInterval", async () => {
    // pingInterval 1 s rather than 300 ms: the sentinel's echo must beat the first ping even on a loaded machine.
    await using s = await startEngineServer({ ...SUITE_OPTIONS, pingInterval: 1000 });
    const { ws } = await s.openWsSession();
    const opened = Date.now();
    // A sentinel right after the open packet: a ping sent at once would arrive before its echo.
    expect((await echoBarrier(ws)).map(String)).toEqual([]);
    expect(await ws.next(2000)).toBe("2");
    const elapsed = Date.now() - opened;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(1800);
    ws.close();
  });

  test("polling: the first GET carries only the ping, at +pingInterval", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const started = Date.now();
    const first = await withTimeout(s.get(sid), 1500, "first GET");
    expect(first.body).toBe("2");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  test("websocket: pongs keep the session alive across 3 rounds, pings spaced by pingInterval", async () => {
    await using s = await startEngineServer(TOLERANT_PONG);
    const { ws, sid } = await s.openWsSession();
    for (let i = 0; i < 3; i++) {
      const since = Date.now();
      expect(await ws.next(1500)).toBe("2");
      if (i > 0) expect(Date.now() - since).toBeGreaterThanOrEqual(250);
      ws.send("3");
    }
    ws.send("4still here");
    expect(await ws.next()).toBe("4still here");
    expect(s.closes).toHaveLength(0);
    expect((await s.session(sid)).closed).toBe(false);
    ws.close();
  });

  test("websocket: no pong → closed at ~pingInterval+pingTimeout with reason 'ping timeout'", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    const opened = Date.now();
    expect(await ws.next(1500)).toBe("2");
    await ws.waitClosed(1500);
    const elapsed = Date.now() - opened;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1200);
    expect((await s.closeOf(sid)).reason).toBe("ping timeout");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("polling: no pong → 'ping timeout' even when no GET was there to carry the ping", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const closed = await s.closeOf(sid, 1500);
    expect(closed.reason).toBe("ping timeout");
    const after = await s.get(sid);
    expect({ status: after.status, body: after.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
  });

  test("pings keep flowing on a busy websocket (other traffic does not replace them)", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws } = await s.openWsSession();
    // Traffic without pause: each echo sends the next message, until the ping shows up among them.
    ws.send("4busy");
    let echoes = 0;
    for (;;) {
      const frame = await ws.next(1000);
      if (frame === "2") break;
      expect(frame).toBe("4busy");
      echoes++;
      ws.send("4busy");
    }
    expect(echoes).toBeGreaterThan(0);
    ws.send("3");
    ws.close();
  });

  test("a client that sends messages but never pongs is still closed for ping timeout", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    // Traffic without pause: each echo sends the next message; pings are left unanswered.
    ws.socket.addEventListener("message", (event: MessageEvent) => {
      if (event.data === "4busy" && ws.socket.readyState === WebSocket.OPEN) ws.send("4busy");
    });
    ws.send("4busy");
    await ws.waitClosed(2000);
    expect((await s.closeOf(sid)).reason).toBe("ping timeout");
  });
});
