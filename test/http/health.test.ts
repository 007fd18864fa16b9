// The application served on port 0: probes, CORS and the JSON error envelope.
import { describe, expect, test } from "bun:test";
import { startTestServer } from "../support/server.ts";
import { testDriver } from "../support/database.ts";

describe(`health endpoints (${testDriver})`, () => {
  test("/healthz answers while the process is up", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("/readyz answers once the database is reachable and migrated", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  test("unknown routes get the seed's error envelope", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/api/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ success: false, message: "Route not found", error: "NOT_FOUND" });
  });

  test("CORS preflight allows the configured frontend origin with credentials, and no other", async () => {
    await using server = await startTestServer({ FRONTEND_URL: "http://app.example:3000" });
    const allowed = await fetch(`${server.url}/healthz`, {
      method: "OPTIONS",
      headers: { Origin: "http://app.example:3000", "Access-Control-Request-Method": "POST" },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");

    const other = await fetch(`${server.url}/healthz`, { headers: { Origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("every REST answer says Vary: Origin, so a shared cache never serves one origin's CORS answer to another", async () => {
    await using server = await startTestServer({ FRONTEND_URL: "http://app.example:3000" });
    const answers = {
      "allowed origin": await fetch(`${server.url}/healthz`, { headers: { Origin: "http://app.example:3000" } }),
      "foreign origin": await fetch(`${server.url}/healthz`, { headers: { Origin: "http://evil.example" } }),
      "no origin": await fetch(`${server.url}/healthz`),
      preflight: await fetch(`${server.url}/api/auth/login`, {
        method: "OPTIONS",
        headers: { Origin: "http://app.example:3000", "Access-Control-Request-Method": "POST" },
      }),
      "an error answer": await fetch(`${server.url}/api/nothing-here`, { headers: { Origin: "http://app.example:3000" } }),
    };
    const varyOf = (response: Response) => (response.headers.get("vary") ?? "").split(",").map((part) => part.trim().toLowerCase());
    for (const [label, response] of Object.entries(answers)) expect({ label, varies: varyOf(response).includes("origin") }).toEqual({ label, varies: true });
  });
});
