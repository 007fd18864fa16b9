// Close semantics: the official suite's close cases (protocol.md §1.1 #20–21), the close reasons
// recorded server-side (§2.7, socket.io's names), exactly one onclose, clientsCount back to 0.
import { describe, expect, test } from "bun:test";
import {
  errorBody,
  QUIET_OPTIONS,
  RS,
  startEngineServer,
  SUITE_OPTIONS,
  withTimeout,
  type StartedEngine,
} from "../support/engine-server.ts";

/** Polls until the session answers 400 (at most 5 GETs); returns every packet received, "6" noops left out. */
async function packetsUntilGone(s: StartedEngine, sid: string): Promise<string[]> {
  const packets: string[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await withTimeout(s.get(sid), 1000, `GET ${i + 1}`);
    if (response.status === 400) return packets;
    expect(response.status).toBe(200);
    packets.push(...response.body.split(RS).filter((packet) => packet !== "6"));
  }
  throw new Error(`session ${sid} still answering after 5 GETs: ${JSON.stringify(packets)}`);
}

function closeCounts(s: StartedEngine): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of s.closes) counts[record.sid] = (counts[record.sid] ?? 0) + 1;
  return counts;
}

describe("engine.io-protocol suite: close", () => {
  test("#20 polling: forcefully closes the session", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const { response: poll } = await s.heldGet(sid); // the GET is held before the POST
    const sent = await s.post(sid, "1");
    expect(sent.status).toBe(200);
    const response = await poll;
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "6" });
    expect((await s.get(sid)).status).toBe(400);
  });

  test("#21 websocket: forcefully closes the session", async () => {
    // The suite's heartbeat (300/200) would close this session by itself at ~500 ms, so the case is
    // run with a 10 s heartbeat: only the "1" can close it within the wait, and the reason says so.
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    ws.send("1");
    // The reference only drops it at ping timeout; closing at once is allowed (§2.7).
    await ws.waitClosed(1000);
    expect((await s.closeOf(sid)).reason).toBe("transport close");
  });
});

describe("close reasons and bookkeeping", () => {
  test("client closes its WebSocket → 'transport close' (direct and upgraded sessions)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const direct = await s.openWsSession();
    direct.ws.close();
    expect((await s.closeOf(direct.sid)).reason).toBe("transport close");

    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    ws.send("5");
    await s.upgradeOf(sid);
    ws.close();
    expect((await s.closeOf(sid)).reason).toBe("transport close");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("client POST '1' on polling → 'transport close'", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, "1")).status).toBe(200);
    expect((await s.closeOf(sid)).reason).toBe("transport close");
    expect((await s.get(sid)).status).toBe(400);
  });

  test("ping timeout → 'ping timeout' (polling and websocket)", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const direct = await s.openWsSession();
    expect((await s.closeOf(sid, 1500)).reason).toBe("ping timeout");
    expect((await s.closeOf(direct.sid, 1500)).reason).toBe("ping timeout");
    await direct.ws.waitClosed(1000);
  });

  test("invalid packet → 'parse error' (polling and websocket)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, "abc")).status).toBe(400);
    expect((await s.closeOf(sid)).reason).toBe("parse error");
    const direct = await s.openWsSession();
    direct.ws.send("9nine");
    await direct.ws.waitClosed(1000);
    expect((await s.closeOf(direct.sid)).reason).toBe("parse error");
  });

  test("server session.close() → 'forced close': a held GET gets '1', a WebSocket is closed", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const { response: held } = await s.heldGet(sid);
    const session = await s.session(sid);
    session.close();
    const response = await withTimeout(held, 1000, "held GET");
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "1" });
    expect((await s.closeOf(sid)).reason).toBe("forced close");
    expect(session.closed).toBe(true);
    expect((await s.get(sid)).status).toBe(400);

    const direct = await s.openWsSession();
    (await s.session(direct.sid)).close();
    await direct.ws.waitClosed(1000);
    expect((await s.closeOf(direct.sid)).reason).toBe("forced close");
  });

  test("messages sent right before session.close() still reach the client (polling and websocket)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    // WebSocket: frames written before the close frame.
    const direct = await s.openWsSession();
    const wsSession = await s.session(direct.sid);
    wsSession.send("bye");
    wsSession.close();
    expect(await direct.ws.next()).toBe("4bye");
    await direct.ws.waitClosed(1000);

    // Polling without a held GET: the reference (engine.io socket.ts close()) waits for the write
    // buffer to drain before closing the transport, so the next GET still carries "bye" — this is
    // how a Socket.IO DISCONNECT packet reaches a polling client on a server-side disconnect.
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    session.send("bye");
    session.close();
    expect(await packetsUntilGone(s, sid)).toEqual(["4bye", "1"]);

    // The same when the close comes in the middle of an upgrade (after the probe, before "5").
    const upgrading = await s.handshake();
    const upgradingSession = await s.session(upgrading.sid);
    const ws = s.connectWs(`sid=${upgrading.sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    upgradingSession.send("bye too");
    upgradingSession.close();
    await ws.waitClosed(1000);
    expect(await packetsUntilGone(s, upgrading.sid)).toEqual(["4bye too", "1"]);
  });

  test("engine.close() → 'server shutting down' for every session; later requests are refused", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const polling = await s.handshake();
    const { response: held } = await s.heldGet(polling.sid);
    const idle = await s.handshake();
    const direct = await s.openWsSession();
    const up = await s.handshake();
    const ws = s.connectWs(`sid=${up.sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    ws.send("5");
    await s.upgradeOf(up.sid);
    expect(s.engine.clientsCount).toBe(4);

    s.engine.close();
    const heldResponse = await withTimeout(held, 1000, "held GET");
    expect({ status: heldResponse.status, body: heldResponse.body }).toEqual({ status: 200, body: "1" });
    await direct.ws.waitClosed(1000);
    await ws.waitClosed(1000);
    for (const sid of [polling.sid, idle.sid, direct.sid, up.sid]) {
      expect((await s.closeOf(sid)).reason).toBe("server shutting down");
    }
    expect(s.engine.clientsCount).toBe(0);
    // A polling session with no GET waiting gets its close packet on the next GET (the reference's
    // orderly close), then it is gone like the others.
    expect((await s.post(idle.sid, "4late")).status).toBe(400);
    const closing = await s.get(idle.sid);
    expect({ status: closing.status, body: closing.body }).toEqual({ status: 200, body: "1" });
    for (const sid of [polling.sid, idle.sid]) {
      const after = await s.get(sid);
      expect({ status: after.status, body: after.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
    }
    // No new sessions after shutdown either: 503 with Retry-After (another node, or later), counted.
    const refused = await fetch(`${s.url}?EIO=4&transport=polling`);
    expect({ status: refused.status, retryAfter: refused.headers.get("retry-after"), body: await refused.json() }).toEqual({
      status: 503,
      retryAfter: "1",
      body: { code: 3, message: "Server shutting down" },
    });
    expect(s.engine.stats.refusals.shutting_down).toBe(1);
    const late = s.connectWs();
    const lateOpened = await late.opened;
    if (lateOpened) await late.waitClosed(1000);
    expect(s.sessions).toHaveLength(4);
  });

  test("exactly one onclose per session, whatever closes it and however often", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    // polling: client close, then a server close, then shutdown
    const a = await s.handshake();
    await s.post(a.sid, "1");
    (await s.session(a.sid)).close();
    // websocket: server close twice, while the client also closes
    const b = await s.openWsSession();
    const sessionB = await s.session(b.sid);
    sessionB.close();
    sessionB.close("parse error");
    b.ws.close();
    await b.ws.waitClosed(1000);
    // websocket: an invalid packet and the client's close in the same burst
    const c = await s.openWsSession();
    c.ws.send("abc");
    c.ws.send("1");
    c.ws.close();
    await c.ws.waitClosed(1000);
    // polling: ping timeout racing a client POST "1"
    const d = await s.handshake();
    await s.closeOf(d.sid, 1500);
    await s.post(d.sid, "1");
    // overlapping polls
    const e = await s.handshake();
    await Promise.all([s.get(e.sid), s.get(e.sid)]);
    const f = await s.openWsSession();

    s.engine.close();
    await f.ws.waitClosed(1000);
    await s.waitFor(() => (s.closes.length >= 6 ? true : undefined), 1000, "6 closes");
    // A duplicate onclose has no event of its own. The sentinel: a session opened after all of the
    // above, with the same heartbeat, closed by its ping timeout; a heartbeat timer left running on
    // any session above would have fired (a late onclose) before this one's.
    await using late = await startEngineServer(SUITE_OPTIONS);
    const sentinel = await late.openWsSession();
    expect((await late.closeOf(sentinel.sid, 1500)).reason).toBe("ping timeout");
    const counts = closeCounts(s);
    expect(Object.keys(counts).sort()).toEqual([a.sid, b.sid, c.sid, d.sid, e.sid, f.sid].sort());
    for (const sid of Object.keys(counts)) expect(counts[sid]).toBe(1);
    expect(s.closes.find((r) => r.sid === b.sid)?.reason).toBe("forced close");
    expect(s.closes.find((r) => r.sid === c.sid)?.reason).toBe("parse error");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("clientsCount follows opens and closes back to 0", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    expect(s.engine.clientsCount).toBe(0);
    const polls = [await s.handshake(), await s.handshake(), await s.handshake()];
    const sockets = [await s.openWsSession(), await s.openWsSession()];
    expect(s.engine.clientsCount).toBe(5);
    await s.post(polls[0]?.sid ?? "", "1");
    await s.post(polls[1]?.sid ?? "", "abc");
    (await s.session(polls[2]?.sid ?? "")).close();
    expect(s.engine.clientsCount).toBe(2);
    for (const { ws } of sockets) ws.close();
    await s.waitFor(() => (s.closes.length === 5 ? true : undefined), 1000, "5 closes");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("exceptions in connection/onmessage/onclose handlers and allowRequest are contained and reported", async () => {
    const reported: string[] = [];
    await using s = await startEngineServer(
      {
        ...QUIET_OPTIONS,
        allowRequest: (req, callback) => {
          if (req.query.boom === "allow") throw new Error("allowRequest boom");
          callback(null, true);
        },
      },
      (session) => {
        if (session.handshake.query.boom === "connection") throw new Error("connection boom");
        session.onmessage = (data) => {
          if (data === "boom") throw new Error("message boom");
          session.send(data);
        };
        session.onclose = () => {
          throw new Error("close boom");
        };
      },
    );
    s.engine.reportError = (_error: unknown, context: string) => {
      reported.push(context);
    };
    const refused = await fetch(`${s.url}?EIO=4&transport=polling&boom=allow`);
    expect(refused.status).toBe(403);

    const { sid } = await s.handshake("boom=connection");
    expect(s.sessions.map((session) => session.id)).toContain(sid);

    const ws = await s.openWsSession();
    ws.ws.send("4boom");
    ws.ws.send("4fine");
    expect(await ws.ws.next()).toBe("4fine");
    ws.ws.close();
    await s.closeOf(ws.sid);
    expect(reported).toContain("allowRequest");
    expect(reported).toContain("connection handler");
    expect(reported).toContain("message handler");
    await s.waitFor(() => (reported.includes("close handler") ? true : undefined), 1000, "close handler report");
    // The server is still serving.
    const again = await s.openWsSession();
    again.ws.send("4ok");
    expect(await again.ws.next()).toBe("4ok");
    again.ws.close();
  });

  test("a closed session ignores send/subscribe/close and calls no handler", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    session.close();
    expect(session.closed).toBe(true);
    expect(session.writable).toBe(false);
    expect(() => {
      session.send("into the void");
      session.subscribe("t");
      session.close();
    }).not.toThrow();
    s.engine.publish("t", ["nobody"]);
    expect(s.closes).toHaveLength(1);
  });
});
