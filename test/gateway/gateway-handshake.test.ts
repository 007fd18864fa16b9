// The app's Socket.IO endpoint: one port for REST and sockets, the client bundle, CORS, the
// handshake's token check (the seed's messages plus data.code) and the disconnect at token expiry.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { registerUser, UNKNOWN_ID } from "../support/chat.ts";
import { testDatabase, testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { connected, waitFor } from "../support/sio-client.ts";
import { expiringSoon, FORGER_SECRET, nowSeconds, signToken, unsignedToken } from "../support/tokens.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ FRONTEND_URL: "http://app.example:3000" });
});
afterAll(() => server.close());

/** The connect_error a socket with this token gets: message and data. */
async function refusal(token: string | undefined): Promise<{ message: string; data: unknown }> {
  const socket = server.socket(token, { reconnection: false });
  const [error] = await waitFor<[Error & { data?: unknown }]>(socket, "connect_error");
  return { message: error.message, data: error.data };
}

describe(`socket handshake (${testDriver})`, () => {
  test("REST and Socket.IO share the port; the client bundle is served; polling answers the frontend's origin", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const bundle = await fetch(`${server.url}/socket.io/socket.io.min.js`);
    expect(bundle.status).toBe(200);
    await bundle.arrayBuffer();
    const handshake = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "http://app.example:3000" } });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get("access-control-allow-origin")).toBe("http://app.example:3000");
    expect(handshake.headers.get("access-control-allow-credentials")).toBe("true");
    await handshake.text();
    const foreign = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "http://evil.example" } });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    await foreign.text();
  });

  test("a valid token connects, over WebSocket only and over polling only, with socket.data.user as the seed set it", async () => {
    const { user, token } = await registerUser(server.app.chat, "Ada");
    for (const transports of [["websocket"], ["polling"]]) {
      const socket = await server.connect(token, { transports });
      const [remote] = (await server.app.io.fetchSockets()).filter((s) => s.id === socket.id);
      expect(remote?.data.user).toEqual({ id: user.id, firstName: "Ada", lastName: "Tester", role: "student", avatar: null });
      socket.disconnect();
    }
  });

  test("each failure has the seed's message and a code", async () => {
    const { user } = await registerUser(server.app.chat, "Bob");
    const exp = nowSeconds() + 3600;
    expect(await refusal(undefined)).toEqual({ message: "Authentication error: Token not provided", data: { code: "TOKEN_MISSING" } });
    expect(await refusal("")).toEqual({ message: "Authentication error: Token not provided", data: { code: "TOKEN_MISSING" } });
    expect(await refusal("not-a-jwt")).toEqual({ message: "Authentication error: jwt malformed", data: { code: "TOKEN_INVALID" } });
    expect(await refusal(await signToken({ sub: user.id, exp }, { secret: FORGER_SECRET }))).toEqual({
      message: "Authentication error: invalid signature",
      data: { code: "TOKEN_INVALID" },
    });
    expect(await refusal(unsignedToken({ sub: user.id, exp }))).toMatchObject({ data: { code: "TOKEN_INVALID" } });
    expect(await refusal(await signToken({ sub: user.id, exp: nowSeconds() - 60 }))).toEqual({
      message: "Authentication error: jwt expired",
      data: { code: "TOKEN_EXPIRED" },
    });
    expect(await refusal(await signToken({ sub: UNKNOWN_ID, exp }))).toEqual({
      message: "Authentication error: User not found",
      data: { code: "USER_NOT_FOUND" },
    });
  });

  test("a deleted account's still valid token is refused", async () => {
    const { user, token } = await registerUser(server.app.chat, "Gone");
    await (await testDatabase()).db.execute(sql`delete from users where id = ${user.id}`);
    expect(await refusal(token)).toMatchObject({ data: { code: "USER_NOT_FOUND" } });
  });

  test("a socket is disconnected by the server when its token expires", async () => {
    const { user } = await registerUser(server.app.chat, "Eve");
    // Listening before the connection is up: the expiry must not outrun the listener.
    const socket = server.socket(await signToken({ sub: user.id, exp: expiringSoon() }), { reconnection: false });
    const closed = waitFor<[string]>(socket, "disconnect", 4000);
    await connected(socket);
    const [reason] = await closed;
    expect(reason).toBe("io server disconnect");
  });
});
