// message:send and dm:send over real sockets: stored, then delivered (room incl. sender; every tab
// of both DM parties), the ack carrying the stored message, clientId retries answered without a
// second copy, and the refusals (not joined, bad text, unknown recipient with the seed's dm:error).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerUser, UNKNOWN_ID } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { barrier, expectNone } from "../support/chat-client.ts";
import { record, waitFor, type ClientSocket } from "../support/sio-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

type Acked = { ok: boolean; data?: Record<string, unknown>; error?: { code: string; message: string } };
const ack = (socket: ClientSocket, event: string, payload: unknown) => socket.timeout(2000).emitWithAck(event, payload) as Promise<Acked>;

const senderOf = (user: { id: string; firstName: string; lastName: string }) => ({
  id: user.id,
  firstName: user.firstName,
  lastName: user.lastName,
  role: "student",
  avatar: null,
});

describe(`message:send (${testDriver})`, () => {
  test("to the whole room incl. the sender, ack = the stored message; a clientId retry stores and broadcasts nothing new", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const room = await server.app.chat.rooms.create(ada.user.id, { name: "Chat" });
    const a = await server.connect(ada.token);
    const b = await server.connect(bob.token);
    // No waiting for the join's ack: a socket's events are handled in the order sent.
    a.emit("room:join", room.id);
    b.emit("room:join", room.id);
    // Bob's join is done once a later event of his is answered.
    await ack(b, "room:leave", "not-this-one");

    const toA = waitFor(a, "message:received");
    const toB = waitFor(b, "message:received");
    const sent = await ack(a, "message:send", { roomId: room.id, text: "  hello room  ", clientId: "m-1", senderId: bob.user.id });
    const expected = {
      id: expect.any(Number),
      roomId: room.id,
      sender: senderOf(ada.user),
      text: "hello room",
      createdAt: expect.any(String),
      clientId: "m-1",
    };
    expect(sent).toEqual({ ok: true, data: expected });
    expect((await toA)[0]).toEqual(sent.data);
    expect((await toB)[0]).toEqual(sent.data);

    const noCopy = expectNone(b, "message:received");
    expect(await ack(a, "message:send", { roomId: room.id, text: "hello room", clientId: "m-1" })).toEqual(sent);
    await noCopy.check();
    const history = await server.app.chat.roomMessages.history(ada.user.id, room.id, {});
    expect(history.messages.map((m): unknown => m.id)).toEqual([sent.data?.["id"]]);
  });

  test("a lone surrogate (an emoji cut in half) is stored and answered as U+FFFD, so a retry still matches", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const room = await server.app.chat.rooms.create(ada.user.id, { name: "Half" });
    const a = await server.connect(ada.token);
    await ack(a, "room:join", room.id);
    const payload = { roomId: room.id, text: "cut \uD83D", clientId: "half" };
    const first = await ack(a, "message:send", payload);
    expect(first.data?.["text"]).toBe("cut \uFFFD");
    expect(await ack(a, "message:send", payload)).toEqual(first);
    expect((await server.app.chat.roomMessages.history(ada.user.id, room.id, {})).messages.map((m) => m.text)).toEqual(["cut \uFFFD"]);
  });

  test("refused: a room not joined on this socket (FORBIDDEN), bad text (INVALID); nothing stored", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const room = await server.app.chat.rooms.create(ada.user.id, { name: "Quiet" });
    const a = await server.connect(ada.token);
    expect(await ack(a, "message:send", { roomId: room.id, text: "hi" })).toEqual({
      ok: false,
      error: { code: "FORBIDDEN", message: "Join the room before sending messages" },
    });
    await ack(a, "room:join", room.id);
    expect((await ack(a, "message:send", { roomId: room.id, text: "   " })).error).toEqual({ code: "INVALID", message: "text must not be empty" });
    expect((await ack(a, "message:send", { roomId: room.id, text: "x".repeat(4001) })).error?.code).toBe("INVALID");
    expect((await ack(a, "message:send", { roomId: room.id, text: "a\u0000b" })).error?.code).toBe("INVALID");
    expect((await ack(a, "message:send", { roomId: room.id, text: 42 })).error).toEqual({ code: "INVALID", message: "text must be a string" });
    expect((await ack(a, "message:send", "hi")).error).toEqual({ code: "INVALID", message: "payload must be an object" });
    expect((await server.app.chat.roomMessages.history(ada.user.id, room.id, {})).messages).toEqual([]);
  });
});

describe(`dm:send (${testDriver})`, () => {
  test("every tab of the recipient and of the sender gets dm:received once; the ack is the stored message", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const [a1, a2, b1, b2] = await Promise.all([server.connect(ada.token), server.connect(ada.token), server.connect(bob.token), server.connect(bob.token)]);
    const deliveries = [a1, a2, b1, b2].map((socket) => waitFor(socket, "dm:received"));
    const counts = [a1, a2, b1, b2].map((socket) => record(socket, "dm:received"));
    const sent = await ack(a1, "dm:send", { recipientId: bob.user.id, text: "psst", clientId: "d-1" });
    expect(sent).toEqual({
      ok: true,
      data: { id: expect.any(Number), sender: senderOf(ada.user), recipientId: bob.user.id, text: "psst", createdAt: expect.any(String), clientId: "d-1" },
    });
    for (const delivery of deliveries) expect((await delivery)[0]).toEqual(sent.data);
    // The retry answers the same message and delivers nothing: still one copy per tab afterwards.
    expect(await ack(a1, "dm:send", { recipientId: bob.user.id, text: "psst", clientId: "d-1" })).toEqual(sent);
    await Promise.all([a1, a2, b1, b2].map((socket) => barrier(socket)));
    expect(counts.map((seen) => seen.length)).toEqual([1, 1, 1, 1]);
  });

  test("an offline recipient's message is stored for REST", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const a = await server.connect(ada.token);
    const sent = await ack(a, "dm:send", { recipientId: bob.user.id, text: "read me later" });
    const history = await server.app.chat.directMessages.history(bob.user.id, ada.user.id, {});
    expect(history.messages.map((m): unknown[] => [m.id, m.text])).toEqual([[sent.data?.["id"], "read me later"]]);
  });

  test("an unknown recipient: the seed's dm:error and a NOT_FOUND ack, nothing stored", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const a = await server.connect(ada.token);
    const dmError = waitFor(a, "dm:error");
    expect(await ack(a, "dm:send", { recipientId: UNKNOWN_ID, text: "anyone?" })).toEqual({
      ok: false,
      error: { code: "NOT_FOUND", message: "Recipient not found" },
    });
    expect(await dmError).toEqual([{ message: "Recipient not found" }]);
    // Bad input is only an ack error, as the seed stayed silent about it.
    const silent = expectNone(a, "dm:error");
    expect((await ack(a, "dm:send", { recipientId: ada.user.id, text: "" })).error?.code).toBe("INVALID");
    await silent.check();
  });
});
