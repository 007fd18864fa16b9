// The app's per-address connection limits: signed-in sockets do not count as pending, connections
// that never sign in do (429 past PENDING_CONNECTIONS_PER_ADDRESS), and behind TRUST_PROXY each
// forwarded client is its own address.
import { describe, expect, test } from "bun:test";
import { startChat } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

const handshake = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers }).then(async (response) => ({ status: response.status, body: await response.text() }));

describe(`connection limits per address (${testDriver})`, () => {
  test("signed-in sockets are not pending; connections that never sign in are, up to the limit", async () => {
    await using chat = await startChat({ PENDING_CONNECTIONS_PER_ADDRESS: "2" });
    const ada = await chat.user("Ada");
    // Four tabs: each is pending only until its CONNECT is accepted.
    for (let i = 0; i < 4; i++) await chat.connect(ada);
    expect((await handshake(chat.url)).status).toBe(200);
    expect((await handshake(chat.url)).status).toBe(200);
    const refused = await handshake(chat.url);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ message: "Too many connections from this address" });
  });

  test("behind a trusted proxy each forwarded client has its own count; without one the header is ignored", async () => {
    await using proxied = await startChat({ PENDING_CONNECTIONS_PER_ADDRESS: "1", TRUST_PROXY: "127.0.0.1" });
    const client = (address: string) => ({ "X-Forwarded-For": address });
    expect((await handshake(proxied.url, client("203.0.113.1"))).status).toBe(200);
    expect((await handshake(proxied.url, client("203.0.113.1"))).status).toBe(429);
    expect((await handshake(proxied.url, client("203.0.113.2"))).status).toBe(200);

    await using direct = await startChat({ PENDING_CONNECTIONS_PER_ADDRESS: "1" });
    expect((await handshake(direct.url, client("203.0.113.1"))).status).toBe(200);
    expect((await handshake(direct.url, client("203.0.113.2"))).status).toBe(429);
  });
});
