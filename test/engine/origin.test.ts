// The Origin header: a malformed one (control characters) is a bad request on every transport; a
// WebSocket from a site that is neither allowed by the CORS origin list nor the server's own origin
// is refused (cross-site WebSocket hijacking; CORS never covers WebSockets); and answers whose CORS
// headers depend on the Origin say so with `Vary: Origin`, so no cache hands one site's answer to another.
import { describe, expect, test } from "bun:test";
import type { EngineOptions } from "../../src/engine/types.ts";
import { errorBody, QUIET_OPTIONS, rawRequest, request, startEngineServer, upgradeRequest, type StartedEngine } from "../support/engine-server.ts";

const APP = "http://app.example";
const EVIL = "http://evil.example";
const ALLOW_LIST: Partial<EngineOptions> = { ...QUIET_OPTIONS, cors: { origin: [APP], credentials: true } };

function pollingHandshake(port: number, extraHeaders: string): string {
  return `GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extraHeaders}\r\n`;
}

/** A direct WebSocket handshake (or an upgrade of `sid`) with extra header lines, answered over raw TCP. */
function wsHandshake(s: StartedEngine, extraHeaders: string, sid?: string) {
  const query = `/engine.io/?EIO=4&transport=websocket${sid ? `&sid=${sid}` : ""}`;
  return rawRequest(s.port, upgradeRequest(s.port, query, extraHeaders), 1000);
}

describe("an Origin header with control characters is a bad request", () => {
  // DEL passes Bun's HTTP parser and reaches the engine; other control characters Bun refuses itself.
  const BAD = ["http://a\u007fb.example", "http://app.example\u007f"];

  test("polling handshake → 400 code 3, no session", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    for (const origin of BAD) {
      const response = await rawRequest(s.port, pollingHandshake(s.port, `Origin: ${origin}\r\n`), 1000);
      expect(response.status).toBe(400);
      expect(response.body).toBe(errorBody(3, "Bad request"));
    }
    const refusedByBun = await rawRequest(s.port, pollingHandshake(s.port, "Origin: http://a\u0001b.example\r\n"), 1000);
    expect(refusedByBun.status).toBe(400);
    expect(s.sessions).toHaveLength(0);
  });

  test("WebSocket handshake → 400 code 3, no session; with an allow-list too (the origin is never echoed)", async () => {
    for (const options of [QUIET_OPTIONS, ALLOW_LIST, { ...QUIET_OPTIONS, cors: { origin: true, credentials: true } }]) {
      await using s = await startEngineServer(options);
      const response = await wsHandshake(s, "Origin: http://a\u007fb.example\r\n");
      expect(response.status).toBe(400);
      expect(response.body).toBe(errorBody(3, "Bad request"));
      expect([undefined, "*"]).toContain(response.headers["access-control-allow-origin"]);
      expect(s.sessions).toHaveLength(0);
    }
  });

  test("a request for an existing session → 400 code 3; the session itself is untouched", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const poll = `GET /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\nOrigin: http://a\u007fb.example\r\n\r\n`;
    const response = await rawRequest(s.port, poll, 1000);
    expect(response.status).toBe(400);
    expect(response.body).toBe(errorBody(3, "Bad request"));
    expect((await s.post(sid, "4still here")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4still here");
  });
});

describe("cross-site WebSocket hijacking: WebSocket origins", () => {
  test("with a CORS allow-list: a foreign Origin gets 403 code 4 (direct and upgrade); allowed, own and absent origins are upgraded", async () => {
    await using s = await startEngineServer(ALLOW_LIST);
    const refused = await wsHandshake(s, `Origin: ${EVIL}\r\n`);
    expect(refused.status).toBe(403);
    expect(refused.body).toBe(errorBody(4, "Forbidden"));
    expect(s.sessions).toHaveLength(0);

    expect((await wsHandshake(s, `Origin: ${APP}\r\n`)).status).toBe(101);
    // The server's own origin (scheme aside, the Host it was reached at), as a same-site page sends it.
    expect((await wsHandshake(s, `Origin: http://127.0.0.1:${s.port}\r\n`)).status).toBe(101);
    expect((await wsHandshake(s, `Origin: https://127.0.0.1:${s.port}\r\n`)).status).toBe(101);
    // Node, Python and mobile clients send no Origin at all.
    expect((await wsHandshake(s, "")).status).toBe(101);
    // Lookalikes are foreign.
    for (const origin of [`http://127.0.0.1:${s.port + 1}`, "http://app.example.evil.example", "null", "http://app.example:8080"]) {
      expect((await wsHandshake(s, `Origin: ${origin}\r\n`)).status).toBe(403);
    }

    const { sid } = await s.handshake();
    const upgrade = await wsHandshake(s, `Origin: ${EVIL}\r\n`, sid);
    expect(upgrade.status).toBe(403);
    expect(upgrade.body).toBe(errorBody(4, "Forbidden"));
    // The polling session is unaffected.
    expect((await s.post(sid, "4polling")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4polling");
    expect((await wsHandshake(s, `Origin: ${APP}\r\n`, sid)).status).toBe(101);
  });

  test("the check follows the CORS option: RegExp and function allow-lists too; '*', true or no CORS leave WebSockets open", async () => {
    for (const origin of [/^http:\/\/app\.example$/, (o: string | undefined) => o === APP]) {
      await using s = await startEngineServer({ ...QUIET_OPTIONS, cors: { origin } });
      expect((await wsHandshake(s, `Origin: ${EVIL}\r\n`)).status).toBe(403);
      expect((await wsHandshake(s, `Origin: ${APP}\r\n`)).status).toBe(101);
    }
    for (const options of [QUIET_OPTIONS, { ...QUIET_OPTIONS, cors: undefined }, { ...QUIET_OPTIONS, cors: { origin: true } }]) {
      await using s = await startEngineServer(options);
      expect((await wsHandshake(s, `Origin: ${EVIL}\r\n`)).status).toBe(101);
    }
  });

  test("checkWebSocketOrigin overrides the default either way", async () => {
    {
      await using s = await startEngineServer({ ...ALLOW_LIST, checkWebSocketOrigin: false });
      expect((await wsHandshake(s, `Origin: ${EVIL}\r\n`)).status).toBe(101);
    }
    {
      // On without any CORS: only the server's own origin (and no Origin) may open a WebSocket.
      await using s = await startEngineServer({ ...QUIET_OPTIONS, cors: undefined, checkWebSocketOrigin: true });
      expect((await wsHandshake(s, `Origin: ${EVIL}\r\n`)).status).toBe(403);
      expect((await wsHandshake(s, `Origin: http://127.0.0.1:${s.port}\r\n`)).status).toBe(101);
      expect((await wsHandshake(s, "")).status).toBe(101);
    }
  });

  test("polling from a foreign origin is CORS's business, not this check: answered without CORS headers", async () => {
    await using s = await startEngineServer(ALLOW_LIST);
    const response = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: EVIL } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("Vary: Origin", () => {
  test("with an allow-list every answer says Vary: Origin: allowed, foreign or no Origin, errors and preflights", async () => {
    await using s = await startEngineServer(ALLOW_LIST);
    const handshake = `${s.url}?EIO=4&transport=polling`;
    const variants: Record<string, string>[] = [{ origin: APP }, { origin: EVIL }, {}];
    for (const headers of variants) {
      const response = await request(handshake, { headers });
      expect(response.status).toBe(200);
      expect(response.headers.get("vary")).toBe("Origin");
    }
    const { sid } = await s.handshake();
    const post = await request(s.pollUrl(sid), { method: "POST", body: "4x", headers: { origin: EVIL } });
    expect(post.body).toBe("ok");
    expect(post.headers.get("vary")).toBe("Origin");
    const error = await request(`${s.url}?EIO=4&transport=abc`, { headers: { origin: EVIL } });
    expect(error.status).toBe(400);
    expect(error.headers.get("vary")).toBe("Origin");
    for (const origin of [APP, EVIL]) {
      const preflight = await request(handshake, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("vary")).toBe("Origin");
    }
  });

  test("origin '*' without credentials does not depend on the Origin: no Vary; without CORS, no CORS headers at all", async () => {
    {
      await using s = await startEngineServer({ ...QUIET_OPTIONS, cors: { origin: "*" } });
      const response = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: APP } });
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("vary")).toBeNull();
    }
    {
      await using s = await startEngineServer({ ...QUIET_OPTIONS, cors: undefined });
      const response = await request(`${s.url}?EIO=4&transport=polling`, { headers: { origin: APP } });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("vary")).toBeNull();
    }
  });
});
