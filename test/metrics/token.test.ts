// METRICS_TOKEN and METRICS_PORT: with a token, /metrics answers 401 unless the request carries it
// as a bearer token; with a port of its own, /metrics leaves the main port for its own listener.
import { describe, expect, test } from "bun:test";
import { authorizedForMetrics } from "../../src/http/metrics-routes.ts";
import { startTestServer } from "../support/server.ts";

const TOKEN = "metrics-token-0123456789abcdef";

describe("the /metrics token gate", () => {
  test("without METRICS_TOKEN /metrics is open", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("# TYPE studyconnect_socketio_connected_sockets gauge");
  });

  test("with METRICS_TOKEN: 401 without it, with another or another scheme; 200 with Bearer <token>", async () => {
    await using server = await startTestServer({ METRICS_TOKEN: TOKEN });
    const get = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

    const missing = await get();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    const body = await missing.text();
    expect(body).not.toContain("studyconnect_");
    expect(body).not.toContain(TOKEN);
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, "Bearer ", `Basic ${btoa(`user:${TOKEN}`)}`, TOKEN]) {
      expect((await get(wrong)).status).toBe(401);
    }
    const ok = await get(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("studyconnect_process_resident_memory_bytes");
    expect((await get(`bearer ${TOKEN}`)).status).toBe(200);
    // The rest of the server does not ask for it.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test("authorizedForMetrics compares the whole token", () => {
    expect(authorizedForMetrics(undefined, undefined)).toBe(true);
    expect(authorizedForMetrics(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorizedForMetrics(undefined, TOKEN)).toBe(false);
    expect(authorizedForMetrics(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
    expect(authorizedForMetrics(`Bearer ${TOKEN.toUpperCase()}`, TOKEN)).toBe(false);
  });
});

describe("METRICS_PORT: /metrics on a listener of its own", () => {
  test("the main port no longer serves /metrics; the metrics listener serves it (token included) and nothing else", async () => {
    await using server = await startTestServer({ METRICS_PORT: "0", METRICS_HOST: "127.0.0.1", METRICS_TOKEN: TOKEN });
    expect(server.config.metrics.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const serve = server.app.metricsServe;
    if (!serve) throw new Error("metricsServe is missing with METRICS_PORT set");
    const listener = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: serve.fetch });
    try {
      const base = `http://127.0.0.1:${listener.port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("studyconnect_engine_sessions 0");
      expect((await fetch(`${base}/api/rooms`)).status).toBe(404);
      expect((await fetch(`${base}/healthz`)).status).toBe(404);
    } finally {
      await listener.stop(true);
    }
  });

  test("without METRICS_PORT there is no separate listener", async () => {
    await using server = await startTestServer();
    expect(server.app.metricsServe).toBeUndefined();
  });
});
