// Failed logins are limited per account and per client address (429 with Retry-After), without
// revealing which emails have accounts; X-Forwarded-For counts only behind a trusted proxy.
import { describe, expect, test } from "bun:test";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer } from "../support/server.ts";
import { clientFor, expectFailure, signUp, type Client } from "./client.ts";

const login = (client: Client, email: string, password: string, headers: Record<string, string> = {}) =>
  client.request<unknown>("POST", "/api/auth/login", { body: { email, password }, headers });

async function retryAfterOf(server: { url: string }, email: string, headers: Record<string, string> = {}): Promise<string | null> {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ email, password: "wrong password" }),
  });
  await response.text();
  return response.status === 429 ? response.headers.get("retry-after") : null;
}

describe(`login limits (${testDriver})`, () => {
  test("an account with too many failures answers 429 with Retry-After, even to the right password", async () => {
    await using server = await startTestServer({ LOGIN_FAILURES_PER_ACCOUNT: "3", LOGIN_FAILURES_PER_ADDRESS: "1000", LOGIN_FAILURE_WINDOW_SECONDS: "600" });
    const client = clientFor(server);
    const ada = await signUp(client, "Ada");
    for (let i = 0; i < 3; i++) expectFailure(await login(client, ada.email, "wrong password"), 401, "UNAUTHORIZED");
    expectFailure(await login(client, ada.email, TEST_PASSWORD), 429, "RATE_LIMITED");
    const retryAfter = Number(await retryAfterOf(server, ada.email));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Another account from the same address is unaffected.
    const bob = await signUp(client, "Bob");
    expect((await login(client, bob.email, TEST_PASSWORD)).status).toBe(200);
  });

  test("an unknown email is limited exactly like a known one (no account is revealed)", async () => {
    await using server = await startTestServer({ LOGIN_FAILURES_PER_ACCOUNT: "2", LOGIN_FAILURES_PER_ADDRESS: "1000" });
    const client = clientFor(server);
    const known = await signUp(client, "Ada");
    const unknown = uniqueEmail("nobody");
    for (const email of [known.email, unknown]) {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await login(client, email, "wrong password")).status);
      expect(answers).toEqual([401, 401, 429]);
    }
  });

  test("a successful login clears the account's failures", async () => {
    await using server = await startTestServer({ LOGIN_FAILURES_PER_ACCOUNT: "3", LOGIN_FAILURES_PER_ADDRESS: "1000" });
    const client = clientFor(server);
    const ada = await signUp(client, "Ada");
    for (let i = 0; i < 2; i++) expect((await login(client, ada.email, "wrong password")).status).toBe(401);
    expect((await login(client, ada.email, TEST_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(client, ada.email, "wrong password")).status).toBe(401);
    expect((await login(client, ada.email, TEST_PASSWORD)).status).toBe(200);
  });

  test("an address with too many failures (across accounts) is limited; a forged X-Forwarded-For does not escape it", async () => {
    await using server = await startTestServer({ LOGIN_FAILURES_PER_ACCOUNT: "1000", LOGIN_FAILURES_PER_ADDRESS: "4" });
    const client = clientFor(server);
    const ada = await signUp(client, "Ada");
    for (let i = 0; i < 4; i++) expect((await login(client, uniqueEmail(`guess${i}`), "wrong password")).status).toBe(401);
    expectFailure(await login(client, ada.email, TEST_PASSWORD), 429, "RATE_LIMITED");
    // Without TRUST_PROXY the header is the client's own words: it changes nothing.
    expect((await login(client, ada.email, TEST_PASSWORD, { "X-Forwarded-For": "203.0.113.9" })).status).toBe(429);
  });

  test("behind a trusted proxy each forwarded client has its own count", async () => {
    await using server = await startTestServer({ LOGIN_FAILURES_PER_ACCOUNT: "1000", LOGIN_FAILURES_PER_ADDRESS: "2", TRUST_PROXY: "127.0.0.1" });
    const client = clientFor(server);
    const ada = await signUp(client, "Ada");
    const from = (address: string) => ({ "X-Forwarded-For": `198.51.100.1, ${address}` });
    for (let i = 0; i < 2; i++) expect((await login(client, uniqueEmail("guess"), "wrong", from("203.0.113.1"))).status).toBe(401);
    expect((await login(client, ada.email, TEST_PASSWORD, from("203.0.113.1"))).status).toBe(429);
    // The rightmost address the proxy appended is the client; the one before it is not believed.
    expect((await login(client, ada.email, TEST_PASSWORD, from("203.0.113.2"))).status).toBe(200);
  });
});
