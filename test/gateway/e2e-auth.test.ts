// The Socket.IO handshake of the StudyConnect app with the real socket.io-client: every refused
// token reaches the client as connect_error with the seed's exact message and a data.code; a valid
// token connects as its user; a token that expires while connected ends the connection at expiry.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { io as ioc } from "socket.io-client";
import { schema } from "../../src/db/database.ts";
import {
  ackedMessage,
  barrier,
  CHAT_CLIENT_DEFAULTS,
  connected,
  expectNone,
  emitAck,
  expectOk,
  startChat,
  statusBarrier,
  UNKNOWN_ID,
  waitFor,
  type UserStatus,
  type ChatHarness,
  type WireRoomMessage,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";
import { expiringSoon, FORGER_SECRET, nowSeconds, signToken, unsignedToken } from "../support/tokens.ts";

/** The refusal seen by the client: exact message, data.code, and nothing else of the server's inside. */
async function expectRefused(chat: ChatHarness, auth: Record<string, unknown> | undefined, message: string, code: string): Promise<void> {
  const error = await chat.connectError(auth);
  expect({ message: error.message, code: (error.data as { code?: unknown } | undefined)?.code }).toEqual({ message, code });
  expect(JSON.stringify(error.data)).not.toMatch(/stack|\.ts:\d|at \S+ \(/);
}

describe(`handshake refusals (${testDriver})`, () => {
  test("no token: Token not provided / TOKEN_MISSING (no auth, empty auth, empty or null token)", async () => {
    await using chat = await startChat();
    await expectRefused(chat, undefined, "Authentication error: Token not provided", "TOKEN_MISSING");
    await expectRefused(chat, {}, "Authentication error: Token not provided", "TOKEN_MISSING");
    await expectRefused(chat, { token: "" }, "Authentication error: Token not provided", "TOKEN_MISSING");
    await expectRefused(chat, { token: null }, "Authentication error: Token not provided", "TOKEN_MISSING");
  });

  test("a token signed with another secret: invalid signature / TOKEN_INVALID", async () => {
    await using chat = await startChat();
    const user = await chat.user("Forge");
    const token = await signToken({ sub: user.id, exp: nowSeconds() + 600 }, { secret: FORGER_SECRET });
    await expectRefused(chat, { token }, "Authentication error: invalid signature", "TOKEN_INVALID");
  });

  test("alg none (with or without a signature part) and HS512: invalid algorithm / TOKEN_INVALID", async () => {
    await using chat = await startChat();
    const user = await chat.user("Nona");
    const unsigned = unsignedToken({ sub: user.id, exp: nowSeconds() + 600 });
    await expectRefused(chat, { token: unsigned }, "Authentication error: invalid algorithm", "TOKEN_INVALID");
    await expectRefused(chat, { token: `${unsigned}c2lnbmF0dXJl` }, "Authentication error: invalid algorithm", "TOKEN_INVALID");
    const hs512 = await signToken({ sub: user.id, exp: nowSeconds() + 600 }, { alg: "HS512" });
    await expectRefused(chat, { token: hs512 }, "Authentication error: invalid algorithm", "TOKEN_INVALID");
  });

  test("an expired token (beyond the clock tolerance): jwt expired / TOKEN_EXPIRED", async () => {
    await using chat = await startChat();
    const user = await chat.user("Old");
    const token = await signToken({ sub: user.id, exp: nowSeconds() - 60 });
    await expectRefused(chat, { token }, "Authentication error: jwt expired", "TOKEN_EXPIRED");
  });

  test("missing sub or exp: jwt sub required / jwt exp required, TOKEN_INVALID", async () => {
    await using chat = await startChat();
    const user = await chat.user("Claim");
    await expectRefused(chat, { token: await signToken({ exp: nowSeconds() + 600 }) }, "Authentication error: jwt sub required", "TOKEN_INVALID");
    await expectRefused(chat, { token: await signToken({ sub: user.id }) }, "Authentication error: jwt exp required", "TOKEN_INVALID");
  });

  test("garbage and non-string tokens: TOKEN_INVALID with a short reason", async () => {
    await using chat = await startChat();
    await expectRefused(chat, { token: "not.a.jwt" }, "Authentication error: jwt malformed", "TOKEN_INVALID");
    await expectRefused(chat, { token: "x".repeat(10_000) }, "Authentication error: jwt malformed", "TOKEN_INVALID");
    await expectRefused(chat, { token: 12345 }, "Authentication error: jwt must be a string", "TOKEN_INVALID");
    await expectRefused(chat, { token: { sub: UNKNOWN_ID } }, "Authentication error: jwt must be a string", "TOKEN_INVALID");
  });

  test("a valid token for a user that does not exist: User not found / USER_NOT_FOUND", async () => {
    await using chat = await startChat();
    const token = await signToken({ sub: UNKNOWN_ID, exp: nowSeconds() + 600 });
    await expectRefused(chat, { token }, "Authentication error: User not found", "USER_NOT_FOUND");
  });

  test("a deleted user's still-valid login token: User not found / USER_NOT_FOUND", async () => {
    await using chat = await startChat();
    const user = await chat.user("Gone");
    const db = chat.server.app.database.db;
    await db.delete(schema.users).where(eq(schema.users.id, user.id));
    await expectRefused(chat, { token: user.token }, "Authentication error: User not found", "USER_NOT_FOUND");
  });

  test("a refused handshake announces nobody online", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const quiet = expectNone(w, "user:status", (p: UserStatus) => p.userId === bob.id);
    const forged = await signToken({ sub: bob.id, exp: nowSeconds() + 600 }, { secret: FORGER_SECRET });
    await expectRefused(chat, { token: forged }, "Authentication error: invalid signature", "TOKEN_INVALID");
    await expectRefused(chat, { token: await signToken({ sub: bob.id, exp: nowSeconds() - 60 }) }, "Authentication error: jwt expired", "TOKEN_EXPIRED");
    await quiet.check(statusBarrier(chat.server, w));
    const profile = await chat.rest<{ status: string }>("GET", `/api/users/${bob.id}`, watcher.token);
    expect(profile.body.data.status).toBe("offline");
  });

  test("there is no other namespace to slip into: with or without a valid token, /admin is refused", async () => {
    await using chat = await startChat();
    const user = await chat.user("Nsp");
    for (const auth of [{ token: user.token }, {}]) {
      const socket = ioc(`${chat.url}/admin`, { ...CHAT_CLIENT_DEFAULTS, auth });
      try {
        const error = await waitFor<Error>(socket, "connect_error", 3000);
        expect(error.message).toBe("Invalid namespace");
        expect(socket.connected).toBe(false);
      } finally {
        socket.disconnect();
      }
    }
  });

  test("after refusals the server still accepts a valid token", async () => {
    await using chat = await startChat();
    await expectRefused(chat, { token: "nope" }, "Authentication error: jwt malformed", "TOKEN_INVALID");
    const user = await chat.user();
    const socket = await chat.connect(user);
    expect(socket.connected).toBe(true);
  });
});

describe(`an accepted handshake (${testDriver})`, () => {
  test("the login token connects, and the socket acts as that user (message sender = the user's names)", async () => {
    await using chat = await startChat();
    const user = await chat.user("Grace", "Hopper");
    const room = await chat.createRoom(user, { name: "Compilers" });
    const socket = await chat.connect(user);
    expectOk(await emitAck(socket, "room:join", room.id));
    const received = waitFor<WireRoomMessage>(socket, "message:received");
    const ack = await emitAck(socket, "message:send", { roomId: room.id, text: "hello" });
    const acked = ackedMessage<WireRoomMessage>(expectOk(ack));
    const message = await received;
    expect(message.sender).toMatchObject({ id: user.id, firstName: "Grace", lastName: "Hopper" });
    expect(message.sender).not.toHaveProperty("email");
    expect(acked.sender).toMatchObject({ id: user.id, firstName: "Grace", lastName: "Hopper" });
  });

  test("a hand-signed HS256 token with sub and exp (no iat) is accepted like a login token", async () => {
    await using chat = await startChat();
    const user = await chat.user("Hand");
    const token = await signToken({ sub: user.id, exp: nowSeconds() + 600 });
    const socket = await chat.connect(token);
    expect(socket.connected).toBe(true);
  });

  test("a token that expires while connected: the server disconnects the socket at expiry, not before", async () => {
    await using chat = await startChat();
    const user = await chat.user("Brief");
    const exp = expiringSoon();
    const socket = chat.socket(await signToken({ sub: user.id, exp }));
    const closed = waitFor<string>(socket, "disconnect", 4000);
    await connected(socket);
    const reason = await closed;
    const at = Date.now();
    expect(reason).toBe("io server disconnect");
    // exp has whole-second precision: not earlier than exp (small scheduling slack), and promptly after it.
    expect(at).toBeGreaterThanOrEqual(exp * 1000 - 250);
    expect(at).toBeLessThanOrEqual(exp * 1000 + 1500);
  });

  test("expiry also ends a long-polling-only connection, with the same reason", async () => {
    await using chat = await startChat();
    const user = await chat.user("Poll");
    const exp = expiringSoon();
    const socket = chat.socket(await signToken({ sub: user.id, exp }), { transports: ["polling"] });
    const closed = waitFor<string>(socket, "disconnect", 4000);
    await connected(socket);
    expect(await closed).toBe("io server disconnect");
    expect(Date.now()).toBeLessThanOrEqual(exp * 1000 + 1500);
  });

  test("a long-lived token is not disconnected meanwhile (control for the expiry case)", async () => {
    await using chat = await startChat();
    const user = await chat.user("Stay");
    const socket = await chat.connect(user);
    const room = await chat.createRoom(user);
    // The sentinel: a token past its exp but within the clock tolerance connects and is dropped at
    // once by the same expiry queue, which by then has also handled every earlier deadline.
    const expired = chat.socket(await signToken({ sub: user.id, exp: nowSeconds() - 1 }));
    const dropped = waitFor<string>(expired, "disconnect", 3000);
    await connected(expired);
    expect(await dropped).toBe("io server disconnect");
    await barrier(socket);
    expect(socket.connected).toBe(true);
    expectOk(await emitAck(socket, "room:join", room.id));
  });
});
