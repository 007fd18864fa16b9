// Per client address limits (EngineOptions.addressLimits): handshakes beyond the bucket, or beyond
// the sessions still pending (opened, not yet established by the layer above), are refused with 429
// and Retry-After; an established or closed session frees its slot; addressOf names the address.
import { describe, expect, test } from "bun:test";
import { QUIET_OPTIONS, request, startEngineServer, type HttpResult } from "../support/engine-server.ts";

function expectTooMany(response: HttpResult): void {
  expect(response.status).toBe(429);
  expect(JSON.parse(response.body)).toEqual({ code: 4, message: "Too many connections from this address" });
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
}

describe("address limits", () => {
  test("handshakes beyond the burst are refused with 429, WebSocket ones too", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, addressLimits: { handshakesPerSecond: 1, handshakeBurst: 3, pendingSessions: 100 } });
    for (let i = 0; i < 3; i++) expect((await request(`${s.url}?EIO=4&transport=polling`)).status).toBe(200);
    expectTooMany(await request(`${s.url}?EIO=4&transport=polling`));
    // WebSocket handshakes count toward the same bucket: refused before the upgrade.
    const ws = s.connectWs();
    expect(await ws.closed).toBe(1006);
    expect(s.sessions).toHaveLength(3);
  });

  test("sessions still pending are capped; established or closed ones free their slot", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, addressLimits: { handshakesPerSecond: 1000, handshakeBurst: 1000, pendingSessions: 2 } });
    const first = await s.handshake();
    const second = await s.handshake();
    expectTooMany(await request(`${s.url}?EIO=4&transport=polling`));
    (await s.session(first.sid)).established();
    await s.handshake();
    expectTooMany(await request(`${s.url}?EIO=4&transport=polling`));
    (await s.session(second.sid)).close();
    await s.handshake();
  });

  test("addressOf decides whose count a handshake is (another address has its own)", async () => {
    await using s = await startEngineServer({
      ...QUIET_OPTIONS,
      addressOf: (peer, req) => req.headers.get("x-test-client") ?? peer,
      addressLimits: { handshakesPerSecond: 1000, handshakeBurst: 1000, pendingSessions: 1 },
    });
    const from = (client: string) => request(`${s.url}?EIO=4&transport=polling`, { headers: { "x-test-client": client } });
    expect((await from("203.0.113.1")).status).toBe(200);
    expectTooMany(await from("203.0.113.1"));
    expect((await from("203.0.113.2")).status).toBe(200);
    expect(s.sessions.map((session) => session.handshake.remoteAddress)).toEqual(["203.0.113.1", "203.0.113.2"]);
  });
});
