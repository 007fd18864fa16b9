// Engine.IO v4 handshake: the official suite's handshake cases (protocol.md §1.1 #1–7) and the
// endpoint/query/method validation of §2.1–2.2, with socket.io's exact error bodies.
import { describe, expect, test } from "bun:test";
import type { HandshakeRequest } from "../../src/engine/types.ts";
import {
  errorBody,
  parseOpenPacket,
  QUIET_OPTIONS,
  rawRequest,
  request,
  startEngineServer,
  SUITE_OPTIONS,
  upgradeRequest,
  WsClient,
  type HttpResult,
} from "../support/engine-server.ts";

const OPEN_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

function expectEngineError(response: HttpResult, status: number, code: number, message: string): void {
  expect({ status: response.status, body: response.body }).toEqual({ status, body: errorBody(code, message) });
  expect(response.headers.get("content-type")).toBe("application/json");
}

describe("engine.io-protocol suite: handshake", () => {
  test("#1 polling: successfully opens a session", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const response = await request(`${s.url}?EIO=4&transport=polling`);
    expect(response.status).toBe(200);
    expect(response.body.startsWith("0")).toBe(true);
    const { open, keys } = parseOpenPacket(response.body);
    expect(keys).toEqual(OPEN_KEYS);
    expect(typeof open.sid).toBe("string");
    expect(open.upgrades).toEqual(["websocket"]);
    expect(open.pingInterval).toBe(300);
    expect(open.pingTimeout).toBe(200);
    expect(open.maxPayload).toBe(1_000_000);
  });

  test("#2 polling: fails with an invalid 'EIO' query parameter", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    expect((await request(`${s.url}?transport=polling`)).status).toBe(400);
    expect((await request(`${s.url}?EIO=abc&transport=polling`)).status).toBe(400);
  });

  test("#3 polling: fails with an invalid 'transport' query parameter", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    expect((await request(`${s.url}?EIO=4`)).status).toBe(400);
    expect((await request(`${s.url}?EIO=4&transport=abc`)).status).toBe(400);
  });

  test("#4 polling: fails with an invalid request method", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    expect((await request(`${s.url}?EIO=4&transport=polling`, { method: "POST" })).status).toBe(400);
    expect((await request(`${s.url}?EIO=4&transport=polling`, { method: "PUT" })).status).toBe(400);
  });

  test("#5 websocket: successfully opens a session", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const ws = s.connectWs();
    expect(await ws.opened).toBe(true);
    const { open, keys } = parseOpenPacket(await ws.nextText());
    expect(keys).toEqual(OPEN_KEYS);
    expect(typeof open.sid).toBe("string");
    expect(open.upgrades).toEqual([]);
    expect(open.pingInterval).toBe(300);
    expect(open.pingTimeout).toBe(200);
    expect(open.maxPayload).toBe(1_000_000);
    ws.close();
  });

  // The official suite never awaits these closes (protocol.md §0.4 pitfall 4); here they are awaited.
  test("#6 websocket: fails with an invalid 'EIO' query parameter (the socket really fails)", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    for (const query of ["transport=websocket", "EIO=abc&transport=websocket"]) {
      const ws = new WsClient(`${s.wsUrl}?${query}`);
      expect(await ws.opened).toBe(false);
      await ws.waitClosed(1000);
    }
    expect(s.sessions).toHaveLength(0);
  });

  test("#7 websocket: fails with an invalid 'transport' query parameter (the socket really fails)", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    for (const query of ["EIO=4", "EIO=4&transport=abc"]) {
      const ws = new WsClient(`${s.wsUrl}?${query}`);
      expect(await ws.opened).toBe(false);
      await ws.waitClosed(1000);
    }
    expect(s.sessions).toHaveLength(0);
  });
});

describe("handshake details", () => {
  test("the polling handshake answers text/plain; charset=UTF-8 and registers one session", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid, response } = await s.handshake();
    expect(response.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(s.sessions.map((session) => session.id)).toEqual([sid]);
    expect(s.sessions[0]?.transport).toBe("polling");
    expect(s.engine.clientsCount).toBe(1);
  });

  test("a direct websocket session is on the websocket transport from the start", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { ws, sid } = await s.openWsSession();
    const session = await s.session(sid);
    expect(session.transport).toBe("websocket");
    expect(s.engine.clientsCount).toBe(1);
    ws.close();
  });

  test("allowUpgrades:false advertises no upgrades on polling", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, allowUpgrades: false });
    const { open, keys } = await s.handshake();
    expect(keys).toEqual(OPEN_KEYS);
    expect(open.upgrades).toEqual([]);
  });

  test("transports:['polling'] advertises no upgrades", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, transports: ["polling"] });
    const { open } = await s.handshake();
    expect(open.upgrades).toEqual([]);
  });

  test("maxPayload advertises maxHttpBufferSize, pingInterval/pingTimeout the options", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 12_345 });
    const { open } = await s.handshake();
    expect(open).toMatchObject({ maxPayload: 12_345, pingInterval: 10_000, pingTimeout: 5_000 });
  });

  test("the path answers with and without the trailing slash, and not on a longer prefix", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS, undefined, () => new Response("fallback", { status: 404 }));
    const withSlash = await request(`${s.origin}/engine.io/?EIO=4&transport=polling`);
    expect(withSlash.status).toBe(200);
    expect(withSlash.body.startsWith("0{")).toBe(true);
    const withoutSlash = await request(`${s.origin}/engine.io?EIO=4&transport=polling`);
    expect(withoutSlash.status).toBe(200);
    expect(withoutSlash.body.startsWith("0{")).toBe(true);
    const longer = await request(`${s.origin}/engine.iox/?EIO=4&transport=polling`);
    expect({ status: longer.status, body: longer.body }).toEqual({ status: 404, body: "fallback" });
    const other = await request(`${s.origin}/api/thing`);
    expect({ status: other.status, body: other.body }).toEqual({ status: 404, body: "fallback" });
  });

  test("a path option without the trailing slash serves both forms too", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, path: "/custom" });
    expect((await request(`${s.origin}/custom?EIO=4&transport=polling`)).body.startsWith("0{")).toBe(true);
    expect((await request(`${s.origin}/custom/?EIO=4&transport=polling`)).body.startsWith("0{")).toBe(true);
  });

  test("unknown query parameters are ignored (cache buster t=…)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake("t=abc&foo=bar");
    const response = await request(`${s.pollUrl(sid)}&t=def`, { method: "POST", body: "4hi" });
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "ok" });
    expect((await request(`${s.pollUrl(sid)}&t=ghi`)).body).toBe("4hi");
  });

  test("code 0 Transport unknown: missing, abc, __proto__ (polling request)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    for (const query of ["EIO=4", "EIO=4&transport=abc", "EIO=4&transport=__proto__", "EIO=4&transport=constructor"]) {
      expectEngineError(await request(`${s.url}?${query}`), 400, 0, "Transport unknown");
    }
  });

  test("code 0 Transport unknown: __proto__ and abc on a websocket upgrade request", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    for (const transport of ["__proto__", "abc", "toString"]) {
      const response = await rawRequest(s.port, upgradeRequest(s.port, `/engine.io/?EIO=4&transport=${transport}`));
      expect({ status: response.status, body: response.body }).toEqual({ status: 400, body: errorBody(0, "Transport unknown") });
      expect(response.headers["content-type"]).toBe("application/json");
    }
    // still serving
    await s.handshake();
  });

  test("code 1 Session ID unknown: polling GET/POST and websocket upgrade with an unknown sid", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    expectEngineError(await s.get("nope"), 400, 1, "Session ID unknown");
    expectEngineError(await s.post("nope", "4hi"), 400, 1, "Session ID unknown");
    const upgrade = await rawRequest(s.port, upgradeRequest(s.port, "/engine.io/?EIO=4&transport=websocket&sid=nope"));
    expect({ status: upgrade.status, body: upgrade.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
  });

  test("code 2 Bad handshake method: POST without sid", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const response = await request(`${s.url}?EIO=4&transport=polling`, { method: "POST", body: "4hi" });
    expectEngineError(response, 400, 2, "Bad handshake method");
    expect(s.sessions).toHaveLength(0);
  });

  test("code 3 Bad request: transport=websocket on a plain (non-upgrade) GET", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    expectEngineError(await request(`${s.url}?EIO=4&transport=websocket`), 400, 3, "Bad request");
    expect(s.sessions).toHaveLength(0);
  });

  test("code 4 Forbidden (403) from allowRequest, default and custom message; allowRequest sees the handshake", async () => {
    const seen: HandshakeRequest[] = [];
    await using s = await startEngineServer({
      ...QUIET_OPTIONS,
      allowRequest: (req, callback) => {
        seen.push(req);
        if (req.query.deny === "custom") callback("Go away: banned", false);
        else if (req.query.deny === "yes") callback("Forbidden", false);
        else callback(null, true);
      },
    });
    expectEngineError(await request(`${s.url}?EIO=4&transport=polling&deny=yes`), 403, 4, "Forbidden");
    expectEngineError(await request(`${s.url}?EIO=4&transport=polling&deny=custom`), 403, 4, "Go away: banned");
    expect(s.sessions).toHaveLength(0);
    await s.handshake("deny=no");
    expect(s.sessions).toHaveLength(1);
    expect(seen[0]?.method).toBe("GET");
    expect(seen[0]?.query.EIO).toBe("4");
    expect(seen[0]?.query.transport).toBe("polling");
    // A refused websocket handshake never opens.
    const ws = s.connectWs("deny=yes");
    expect(await ws.opened).toBe(false);
    await ws.waitClosed();
    expect(s.sessions).toHaveLength(1);
  });

  test("allowRequest may answer asynchronously", async () => {
    await using s = await startEngineServer({
      ...QUIET_OPTIONS,
      allowRequest: (_req, callback) => {
        // Answered in a later event-loop turn, not within the call.
        setImmediate(() => callback(null, true));
      },
    });
    await s.handshake();
    expect(s.sessions).toHaveLength(1);
    // The WebSocket upgrade then happens after an await: it must still open.
    const { ws, open } = await s.openWsSession();
    expect(open.upgrades).toEqual([]);
    expect(s.sessions).toHaveLength(2);
    ws.close();
  });

  test("code 5 Unsupported protocol version: missing EIO, EIO=abc, EIO=3", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    for (const query of ["transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling"]) {
      expectEngineError(await request(`${s.url}?${query}`), 400, 5, "Unsupported protocol version");
    }
    expect(s.sessions).toHaveLength(0);
  });

  test("sids are distinct, at least 20 characters, URL-safe", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const sids: string[] = [];
    for (let i = 0; i < 30; i++) sids.push((await s.handshake()).sid);
    for (let i = 0; i < 5; i++) {
      const { ws, sid } = await s.openWsSession();
      sids.push(sid);
      ws.close();
    }
    expect(new Set(sids).size).toBe(sids.length);
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  test("transports:['websocket'] refuses polling with code 0 and accepts websocket", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, transports: ["websocket"] });
    expectEngineError(await request(`${s.url}?EIO=4&transport=polling`), 400, 0, "Transport unknown");
    const { ws, open } = await s.openWsSession();
    expect(open.upgrades).toEqual([]);
    ws.close();
  });

  test("the session exposes the handshake request: method, url, query, lower-cased headers, address, issued", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const before = Date.now();
    const response = await request(`${s.url}?EIO=4&transport=polling&token=abc`, { headers: { "X-Custom": "yes" } });
    const { open } = parseOpenPacket(response.body);
    const session = await s.session(open.sid);
    expect(session.handshake.method).toBe("GET");
    expect(session.handshake.url).toBe("/engine.io/?EIO=4&transport=polling&token=abc");
    expect(session.handshake.query).toEqual({ EIO: "4", transport: "polling", token: "abc" });
    expect(session.handshake.headers["x-custom"]).toBe("yes");
    expect(session.handshake.remoteAddress).toBe("127.0.0.1");
    expect(session.handshake.secure).toBe(false);
    expect(session.issued).toBeGreaterThanOrEqual(before - 5);
    expect(session.issued).toBeLessThanOrEqual(Date.now());
  });

  test("a request for an existing sid with another EIO value → 400 code 3", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const response = await request(`${s.url}?EIO=3&transport=polling&sid=${sid}`);
    expectEngineError(response, 400, 3, "Bad request");
  });

  test("CORS with credentials: one allowed origin is echoed with Allow-Credentials, others get no CORS headers", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, cors: { origin: "http://app.example", credentials: true } });
    const allowed = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: "http://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("access-control-allow-credentials")).toBeNull();
  });

  test("CORS origin '*': responses carry Access-Control-Allow-Origin, preflight answers 204", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const handshake = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: "http://app.example" } });
    expect(handshake.headers.get("access-control-allow-origin")).toBe("*");
    const preflight = await request(`${s.url}?EIO=4&transport=polling`, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    const error = await request(`${s.url}?EIO=4&transport=abc`, { headers: { origin: "http://app.example" } });
    expect(error.headers.get("access-control-allow-origin")).toBe("*");
  });
});
