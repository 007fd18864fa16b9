// Upgrade polling → WebSocket: the official suite's upgrade cases (protocol.md §1.1 #22–24) and
// §2.6: probe, noop answers to every GET while upgrading, flush in order, upgradeTimeout, topics.
import { describe, expect, test } from "bun:test";
import type { EngineSession } from "../../src/engine/types.ts";
import {
  errorBody,
  parseOpenPacket,
  QUIET_OPTIONS,
  RS,
  startEngineServer,
  SUITE_OPTIONS,
  withTimeout,
  WsClient,
  type Frame,
  type StartedEngine,
} from "../support/engine-server.ts";

/** Opens the upgrade WebSocket for `sid` and completes the probe (2probe → 3probe). */
async function probe(s: StartedEngine, sid: string): Promise<WsClient> {
  const ws = s.connectWs(`sid=${sid}`);
  expect(await ws.opened).toBe(true);
  ws.send("2probe");
  expect(await ws.next()).toBe("3probe");
  return ws;
}

async function upgraded(s: StartedEngine, sid: string): Promise<WsClient> {
  const ws = await probe(s, sid);
  ws.send("5");
  await s.upgradeOf(sid);
  return ws;
}

describe("engine.io-protocol suite: upgrade", () => {
  test("#22 successfully upgrades from HTTP long-polling to WebSocket", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    const poll = await s.get(sid);
    expect({ status: poll.status, body: poll.body }).toEqual({ status: 200, body: "6" });
    ws.send("5");
    ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.close();
  });

  test("#23 ignores HTTP requests with same sid after upgrade", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await probe(s, sid);
    ws.send("5");
    await s.upgradeOf(sid); // the suite races its GET against "5"; here the upgrade is awaited
    expect((await s.get(sid)).status).toBe(400);
    ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.close();
  });

  test("#24 ignores WebSocket connection with same sid after upgrade", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await upgraded(s, sid);
    const second = s.connectWs(`sid=${sid}`);
    // protocol.md §0.4 item 5 / §2.6: accepted (101) and then closed, not refused with a 400.
    expect(await second.opened).toBe(true);
    await second.waitClosed(1000);
    ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.close();
  });
});

describe("upgrade details", () => {
  test("a GET held when the probe arrives is answered '6'", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const { response: held } = await s.heldGet(sid);
    const ws = await probe(s, sid);
    const response = await withTimeout(held, 1000, "held GET");
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "6" });
    ws.send("5");
    await s.upgradeOf(sid);
    ws.close();
  });

  test("every GET during the upgrade is answered '6' at once (5 in a row)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await probe(s, sid);
    for (let i = 0; i < 5; i++) {
      const response = await withTimeout(s.get(sid), 500, `GET ${i + 1} during upgrade`);
      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "6" });
    }
    ws.send("5");
    await s.upgradeOf(sid);
    ws.close();
  });

  test("'5' completes the upgrade: transport is websocket, onupgrade fires once, sends go over the WebSocket", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    expect(session.transport).toBe("polling");
    const ws = await upgraded(s, sid);
    expect(session.transport).toBe("websocket");
    expect(s.upgrades).toEqual([sid]);
    session.send("server", new Uint8Array([5, 6]));
    expect(await ws.next()).toBe("4server");
    expect([...(await ws.nextBinary())]).toEqual([5, 6]);
    ws.send("4client");
    expect(await ws.next()).toBe("4client");
    expect(s.closes).toHaveLength(0);
    ws.close();
  });

  test("messages sent while upgrading are delivered exactly once, in order, across polling and the WebSocket", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    const message = (i: number) => (i % 10 === 0 ? new Uint8Array([i]) : `m${i}`);
    const received: string[] = [];
    const collectPolling = (body: string) => {
      for (const packet of body.split(RS)) {
        if (packet === "6") continue;
        if (packet.startsWith("b")) received.push(`bin${[...Buffer.from(packet.slice(1), "base64")].join(",")}`);
        else if (packet.startsWith("4")) received.push(packet.slice(1));
        else throw new Error(`unexpected polling packet ${JSON.stringify(packet)}`);
      }
    };
    const collectFrame = (frame: Frame) => {
      if (typeof frame === "string") {
        if (!frame.startsWith("4")) throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
        received.push(frame.slice(1));
      } else {
        received.push(`bin${[...frame].join(",")}`);
      }
    };

    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    for (let i = 1; i <= 25; i++) session.send(message(i)); // before the probe
    ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    for (let i = 26; i <= 50; i++) session.send(message(i)); // probe done
    collectPolling((await withTimeout(s.get(sid), 1000, "GET during upgrade")).body);
    for (let i = 51; i <= 75; i++) session.send(message(i));
    collectPolling((await withTimeout(s.get(sid), 1000, "GET during upgrade")).body);
    ws.send("5");
    for (let i = 76; i <= 100; i++) session.send(message(i)); // racing the "5"
    while (received.length < 100) collectFrame(await ws.next(1000));
    session.send("end");
    expect(await ws.next()).toBe("4end"); // nothing duplicated after the 100

    const expected = Array.from({ length: 100 }, (_, k) => {
      const i = k + 1;
      return i % 10 === 0 ? `bin${i}` : `m${i}`;
    });
    expect(received).toEqual(expected);
    ws.close();
  });

  test("after the upgrade, polling GET and POST answer 400 code 3", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await upgraded(s, sid);
    const get = await s.get(sid);
    expect({ status: get.status, body: get.body }).toEqual({ status: 400, body: errorBody(3, "Bad request") });
    expect(get.headers.get("content-type")).toBe("application/json");
    const post = await s.post(sid, "4sneaky");
    expect({ status: post.status, body: post.body }).toEqual({ status: 400, body: errorBody(3, "Bad request") });
    expect(s.messages).toHaveLength(0);
    ws.send("4still");
    expect(await ws.next()).toBe("4still");
    ws.close();
  });

  test("a second WebSocket with the same sid during the upgrade is accepted then closed; the first completes", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await probe(s, sid);
    const second = s.connectWs(`sid=${sid}`);
    expect(await second.opened).toBe(true);
    await second.waitClosed(1000);
    ws.send("5");
    await s.upgradeOf(sid);
    ws.send("4first");
    expect(await ws.next()).toBe("4first");
    ws.close();
  });

  test("upgradeTimeout abandons a stalled upgrade (probe done, no '5'); polling keeps working", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, upgradeTimeout: 300 });
    const { sid } = await s.handshake();
    const started = Date.now();
    const ws = await probe(s, sid);
    await ws.waitClosed(1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(s.closes).toHaveLength(0);
    expect(s.upgrades).toHaveLength(0);
    expect((await s.session(sid)).transport).toBe("polling");
    expect((await s.post(sid, "4after timeout")).body).toBe("ok");
    const response = await withTimeout(s.get(sid), 1000, "GET after aborted upgrade");
    expect(response.body).toBe("4after timeout");
  });

  test("upgradeTimeout also closes an upgrade WebSocket that never probes", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, upgradeTimeout: 300 });
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    await ws.waitClosed(1500);
    expect((await s.post(sid, "4x")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4x");
  });

  test("a packet other than 2probe/5 on the upgrading WebSocket aborts the upgrade; polling keeps working", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    ws.send("4too early");
    await ws.waitClosed(1000);
    expect(s.messages).toHaveLength(0);
    expect((await s.post(sid, "4polling")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4polling");
    expect(s.closes).toHaveLength(0);
  });

  test("the client closing the probe WebSocket abandons the upgrade; polling resumes with data", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    const ws = await probe(s, sid);
    session.send("queued while upgrading");
    ws.close();
    await ws.waitClosed(1000);
    const response = await withTimeout(s.get(sid), 1000, "GET after abandoned upgrade");
    expect(response.body).toBe("4queued while upgrading");
    expect(s.closes).toHaveLength(0);
  });

  test("allowUpgrades:false: a WebSocket with the sid does not take the session over", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, allowUpgrades: false });
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    if (await ws.opened) {
      ws.send("2probe");
      await ws.waitClosed(1000);
    }
    expect((await s.session(sid)).transport).toBe("polling");
    expect((await s.post(sid, "4x")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4x");
  });

  test("session.writable is false while upgrading, true on the WebSocket afterwards", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    const ws = await probe(s, sid);
    const during = await s.get(sid);
    expect(during.body).toBe("6");
    expect(session.writable).toBe(false);
    ws.send("5");
    await s.upgradeOf(sid);
    expect(session.writable).toBe(true);
    ws.close();
  });

  test("the heartbeat continues over the WebSocket after the upgrade", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const ws = await upgraded(s, sid);
    for (let i = 0; i < 3; i++) {
      expect(await ws.next(1500)).toBe("2");
      ws.send("3");
    }
    expect(s.closes).toHaveLength(0);
    ws.close();
  });

  test("after an abandoned upgrade, a new upgrade attempt succeeds", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, upgradeTimeout: 200 });
    const { sid } = await s.handshake();
    const stalled = await probe(s, sid);
    await stalled.waitClosed(1500);
    const ws = await upgraded(s, sid);
    ws.send("4second try");
    expect(await ws.next()).toBe("4second try");
    ws.close();
  });

  test("a WebSocket with the sid of a session that started on WebSocket is accepted then closed", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const direct = await s.openWsSession();
    const intruder = s.connectWs(`sid=${direct.sid}`);
    expect(await intruder.opened).toBe(true);
    await intruder.waitClosed(1000);
    direct.ws.send("4mine");
    expect(await direct.ws.next()).toBe("4mine");
    direct.ws.close();
  });

  test("engine.publish with except = a WebSocket session that is not subscribed still reaches the subscribers", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS, (session) => {
      if (session.handshake.query.sub === "1") session.subscribe("t");
    });
    const outsider = s.connectWs("sub=0");
    expect(await outsider.opened).toBe(true);
    const outsiderSid = parseOpenPacket(await outsider.nextText()).open.sid;
    const subscriber = s.connectWs("sub=1");
    expect(await subscriber.opened).toBe(true);
    await subscriber.nextText();
    s.engine.publish("t", ["hi"], await s.session(outsiderSid));
    expect(await subscriber.next()).toBe("4hi");
    // Sentinel: a frame sent to the outsider after the publish is the first thing it gets.
    (await s.session(outsiderSid)).send("after");
    expect(await outsider.next()).toBe("4after");
    outsider.close();
    subscriber.close();
  });

  test("engine.publish reaches subscribers on polling and after the upgrade; except excludes one session", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS, (session) => session.subscribe("t"));
    const a = await s.handshake();
    const b = await s.handshake();
    const c = await s.openWsSession();
    const sessionA = await s.session(a.sid);
    const sessionC = await s.session(c.sid);
    expect(s.engine.clientsCount).toBe(3);

    s.engine.publish("t", ["hello"]);
    expect((await s.get(a.sid)).body).toBe("4hello");
    expect((await s.get(b.sid)).body).toBe("4hello");
    expect(await c.ws.next()).toBe("4hello");

    s.engine.publish("t", ["not for A"], sessionA);
    s.engine.publish("t", ["all"]);
    expect((await s.get(a.sid)).body).toBe("4all");
    expect((await s.get(b.sid)).body).toBe(`4not for A${RS}4all`);
    expect(await c.ws.next()).toBe("4not for A");
    expect(await c.ws.next()).toBe("4all");

    // A moves to WebSocket: its subscription follows.
    const wsA = await upgraded(s, a.sid);
    s.engine.publish("t", ["after", new Uint8Array([1, 2])]);
    expect(await wsA.next()).toBe("4after");
    expect([...(await wsA.nextBinary())]).toEqual([1, 2]);
    expect((await s.get(b.sid)).body).toBe(`4after${RS}bAQI=`);
    expect(await c.ws.next()).toBe("4after");
    expect([...(await c.ws.nextBinary())]).toEqual([1, 2]);

    s.engine.publish("t", ["not for A again"], sessionA);
    s.engine.publish("t", ["not for C"], sessionC);
    s.engine.publish("t", ["everyone"]);
    expect(await wsA.next()).toBe("4not for C");
    expect(await wsA.next()).toBe("4everyone");
    expect(await c.ws.next()).toBe("4not for A again");
    expect(await c.ws.next()).toBe("4everyone");
    expect((await s.get(b.sid)).body).toBe(`4not for A again${RS}4not for C${RS}4everyone`);
    wsA.close();
    c.ws.close();
  });

  test("engine.publish skips sessions that unsubscribed, on both transports", async () => {
    const sessions: EngineSession[] = [];
    await using s = await startEngineServer(QUIET_OPTIONS, (session) => {
      session.subscribe("t");
      sessions.push(session);
    });
    const polling = await s.handshake();
    const ws = await s.openWsSession();
    for (const session of sessions) session.unsubscribe("t");
    s.engine.publish("t", ["nobody"]);
    for (const session of sessions) session.send("direct");
    expect((await s.get(polling.sid)).body).toBe("4direct");
    expect(await ws.ws.next()).toBe("4direct");
    ws.ws.close();
  });
});
