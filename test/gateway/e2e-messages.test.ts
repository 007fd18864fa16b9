// Room chat and direct messages over the wire: message:send (joined participants only, text rules,
// clientId idempotency, REST history afterwards) and dm:send (every tab of both users, unknown and
// offline recipients, REST history only for the two participants, the sender never from the payload).
import { describe, expect, test } from "bun:test";
import { and, count, eq } from "drizzle-orm";
import { schema } from "../../src/db/database.ts";
import {
  ackedMessage,
  barrier,
  emitAck,
  expectAckError,
  expectNone,
  expectOk,
  record,
  startChat,
  UNKNOWN_ID,
  waitFor,
  type ChatHarness,
  type ChatUser,
  type WireDirectMessage,
  type WirePage,
  type WireRoomMessage,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

const ROOM_MESSAGE_KEYS = ["clientId", "createdAt", "id", "roomId", "sender", "text"];
const DIRECT_MESSAGE_KEYS = ["clientId", "createdAt", "id", "recipientId", "sender", "text"];

const senderOf = (user: ChatUser) => ({ id: user.id, firstName: user.firstName, lastName: user.lastName });

async function roomHistory(chat: ChatHarness, viewer: ChatUser, roomId: string, query = ""): Promise<WirePage<WireRoomMessage>> {
  const reply = await chat.rest<WirePage<WireRoomMessage>>("GET", `/api/rooms/${roomId}/messages${query}`, viewer.token);
  expect(reply.status).toBe(200);
  return reply.body.data;
}

async function dmHistory(chat: ChatHarness, viewer: ChatUser, otherId: string, query = ""): Promise<WirePage<WireDirectMessage>> {
  const reply = await chat.rest<WirePage<WireDirectMessage>>("GET", `/api/dms/${otherId}/messages${query}`, viewer.token);
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** Every message row sent by `user`, of either type, straight from the store. */
async function storedBy(chat: ChatHarness, user: ChatUser, type?: "room" | "direct"): Promise<number> {
  const db = chat.server.app.database.db;
  const where = type ? and(eq(schema.messages.senderId, user.id), eq(schema.messages.type, type)) : eq(schema.messages.senderId, user.id);
  const [row] = await db.select({ n: count() }).from(schema.messages).where(where);
  return row?.n ?? -1;
}

/** A public room of Ada's, with Ada and Bob connected and joined, and Cid connected outside it. */
async function roomScene(chat: ChatHarness) {
  const [ada, bob, cid] = [await chat.user("Ada", "Lovelace"), await chat.user("Bob", "Builder"), await chat.user("Cid", "Campeador")];
  const room = await chat.createRoom(ada, { name: "Chat" });
  const a = await chat.connect(ada);
  const b = await chat.connect(bob);
  const c = await chat.connect(cid);
  expectOk(await emitAck(a, "room:join", room.id));
  expectOk(await emitAck(b, "room:join", room.id));
  return { ada, bob, cid, room, a, b, c };
}

describe(`message:send (${testDriver})`, () => {
  test("stored, then message:received to everyone in the room including the sender, exactly once; the ack carries the message", async () => {
    await using chat = await startChat();
    const { ada, bob, room, a, b, c } = await roomScene(chat);
    const [toA, toB, toC] = [record<WireRoomMessage>(a, "message:received"), record<WireRoomMessage>(b, "message:received"), record(c, "message:received")];
    const arrivals = [waitFor<WireRoomMessage>(a, "message:received"), waitFor<WireRoomMessage>(b, "message:received")];
    const ack = await emitAck(b, "message:send", { roomId: room.id, text: "  hello room  ", clientId: "c-1" });
    const acked = ackedMessage<WireRoomMessage>(expectOk(ack));
    const [atA, atB] = await Promise.all(arrivals);
    const expected = { id: acked.id, roomId: room.id, sender: expect.objectContaining(senderOf(bob)), text: "hello room", createdAt: expect.any(String), clientId: "c-1" };
    expect(atA).toEqual(expected);
    expect(atB).toEqual(expected);
    expect(Object.keys(atA ?? {}).sort()).toEqual(ROOM_MESSAGE_KEYS);
    expect(atA?.sender).not.toHaveProperty("email");
    expect(typeof acked.id).toBe("number");
    expect(Number.isNaN(Date.parse(atA?.createdAt ?? ""))).toBe(false);
    expect(acked).toMatchObject({ roomId: room.id, text: "hello room", clientId: "c-1", createdAt: atA?.createdAt });
    await Promise.all([barrier(a), barrier(b), barrier(c)]);
    expect([toA.length, toB.length, toC.length]).toEqual([1, 1, 0]);

    const history = await roomHistory(chat, ada, room.id);
    expect(history.messages.map((m) => [m.id, m.sender.id, m.text, m.clientId])).toEqual([[acked.id, bob.id, "hello room", "c-1"]]);
  });

  test("a public room's non-participant (never joined) is refused; nothing is broadcast or stored", async () => {
    await using chat = await startChat();
    const { ada, cid, room, a, c } = await roomScene(chat);
    const quiet = expectNone(a, "message:received");
    const ack = await emitAck(c, "message:send", { roomId: room.id, text: "let me in" });
    expectAckError(ack, ["FORBIDDEN", "NOT_FOUND"]);
    await quiet.check();
    expect((await roomHistory(chat, ada, room.id)).messages).toEqual([]);
    expect(await storedBy(chat, cid)).toBe(0);
  });

  test("a private room's outsider gets the same refusal as for an unknown room; nothing is broadcast or stored", async () => {
    await using chat = await startChat();
    const [ada, eve] = [await chat.user("Ada"), await chat.user("Eve")];
    const secret = await chat.createRoom(ada, { name: "Secret", isPublic: false });
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", secret.id));
    const e = await chat.connect(eve);
    const quiet = expectNone(a, "message:received");
    const hidden = expectAckError(await emitAck(e, "message:send", { roomId: secret.id, text: "psst" }), ["FORBIDDEN", "NOT_FOUND"]);
    const unknown = expectAckError(await emitAck(e, "message:send", { roomId: UNKNOWN_ID, text: "psst" }), ["FORBIDDEN", "NOT_FOUND"]);
    expect(hidden).toEqual(unknown);
    await quiet.check();
    expect(await storedBy(chat, eve)).toBe(0);
  });

  test("a participant whose socket has not joined the room is refused (and after room:leave too)", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const secret = await chat.createRoom(ada, { name: "Secret", isPublic: false });
    expect((await chat.rest("POST", `/api/rooms/${secret.id}/participants`, ada.token, { userId: bob.id })).status).toBe(201);
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", secret.id));
    const b = await chat.connect(bob);
    const toA = record(a, "message:received");
    expectAckError(await emitAck(b, "message:send", { roomId: secret.id, text: "not joined yet" }), ["FORBIDDEN", "NOT_FOUND"]);

    expectOk(await emitAck(b, "room:join", secret.id));
    expectOk(await emitAck(b, "message:send", { roomId: secret.id, text: "now joined" }));
    expectOk(await emitAck(b, "room:leave", secret.id));
    expectAckError(await emitAck(b, "message:send", { roomId: secret.id, text: "after leaving" }), ["FORBIDDEN", "NOT_FOUND"]);
    await barrier(a);
    expect(toA.map((m) => (m as WireRoomMessage).text)).toEqual(["now joined"]);
    expect((await roomHistory(chat, ada, secret.id)).messages.map((m) => m.text)).toEqual(["now joined"]);
  });

  test("invalid payloads are INVALID: empty, blank, 4001 characters, NUL, non-string text, missing or non-string roomId; nothing stored", async () => {
    await using chat = await startChat();
    const { ada, bob, room, a, b } = await roomScene(chat);
    const toA = record(a, "message:received");
    const bad: unknown[] = [
      { roomId: room.id, text: "" },
      { roomId: room.id, text: "   \n\t " },
      { roomId: room.id, text: "x".repeat(4001) },
      { roomId: room.id, text: ` ${"y".repeat(4001)} ` },
      { roomId: room.id, text: "a\u0000b" },
      { roomId: room.id, text: "\u0000" },
      { roomId: room.id, text: 42 },
      { roomId: room.id, text: null },
      { roomId: room.id, text: ["hi"] },
      { roomId: room.id, text: { toString: "hi" } },
      { roomId: room.id },
      { text: "no room" },
      { roomId: 42, text: "numeric room" },
      { roomId: null, text: "null room" },
      { roomId: room.id, text: "ok", clientId: 7 },
      { roomId: room.id, text: "ok", clientId: "" },
      { roomId: room.id, text: "ok", clientId: "k".repeat(129) },
    ];
    for (const payload of bad) {
      const ack = await emitAck(b, "message:send", payload);
      try {
        expectAckError(ack, "INVALID");
      } catch (error) {
        throw new Error(`message:send ${JSON.stringify(payload).slice(0, 80)} answered ${JSON.stringify(ack).slice(0, 200)}: ${String(error)}`);
      }
    }
    await barrier(a);
    expect(toA).toEqual([]);
    expect((await roomHistory(chat, ada, room.id)).messages).toEqual([]);
    expect(await storedBy(chat, bob)).toBe(0);
    expect(b.connected).toBe(true);
  });

  test("boundaries that are valid: exactly 4000 characters, and 4000 surrounded by whitespace (trimmed)", async () => {
    await using chat = await startChat();
    const { ada, room, b } = await roomScene(chat);
    const exact = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: "z".repeat(4000) })));
    const padded = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: `  ${"w".repeat(4000)}\n` })));
    expect(exact.text).toHaveLength(4000);
    expect(padded.text).toBe("w".repeat(4000));
    expect((await roomHistory(chat, ada, room.id)).messages).toHaveLength(2);
  });

  test("a retry with the same clientId answers the same message and stores nothing new; another sender's equal clientId is its own", async () => {
    await using chat = await startChat();
    const { ada, bob, room, a, b } = await roomScene(chat);
    const first = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: "once", clientId: "retry-1" })));
    const second = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: "once", clientId: "retry-1" })));
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ text: "once", clientId: "retry-1", createdAt: first.createdAt });
    const fromAda = ackedMessage<WireRoomMessage>(expectOk(await emitAck(a, "message:send", { roomId: room.id, text: "mine", clientId: "retry-1" })));
    expect(fromAda.id).not.toBe(first.id);
    const history = await roomHistory(chat, ada, room.id);
    expect(history.messages.map((m) => [m.id, m.sender.id])).toEqual([
      [fromAda.id, ada.id],
      [first.id, bob.id],
    ]);
  });

  test("concurrent retries with one clientId still store one message", async () => {
    await using chat = await startChat();
    const { ada, room, b } = await roomScene(chat);
    const acks = await Promise.all(
      Array.from({ length: 5 }, () => emitAck(b, "message:send", { roomId: room.id, text: "racing", clientId: "race-1" })),
    );
    const ids = new Set(acks.map((ack) => ackedMessage<WireRoomMessage>(expectOk(ack)).id));
    expect(ids.size).toBe(1);
    expect((await roomHistory(chat, ada, room.id)).messages).toHaveLength(1);
  });

  test("messages sent over the socket page back through REST history, newest first, with no gaps", async () => {
    await using chat = await startChat();
    const { bob, cid, room, b } = await roomScene(chat);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: `m${i}` }))).id);
    const page1 = await roomHistory(chat, cid, room.id, "?limit=2");
    expect(page1.messages.map((m) => m.id)).toEqual(ids.slice(3, 5).reverse());
    expect(page1.nextBefore).toBe(ids[3] ?? -1);
    const page2 = await roomHistory(chat, cid, room.id, `?limit=2&before=${page1.nextBefore}`);
    expect(page2.messages.map((m) => m.id)).toEqual(ids.slice(1, 3).reverse());
    const page3 = await roomHistory(chat, cid, room.id, `?limit=2&before=${page2.nextBefore}`);
    expect(page3.messages.map((m) => [m.id, m.text, m.sender.id])).toEqual(ids.slice(0, 1).map((id) => [id, "m0", bob.id]));
    expect(page3.nextBefore).toBeNull();
  });

  test("senderId/userId/sender in the payload never override the authenticated sender", async () => {
    await using chat = await startChat();
    const { ada, bob, cid, room, a } = await roomScene(chat);
    const arrival = waitFor<WireRoomMessage>(a, "message:received");
    const spoof = { roomId: room.id, text: "who am I", senderId: cid.id, userId: cid.id, sender: { id: cid.id, firstName: "Cid", lastName: "X" }, id: 1, createdAt: "2000-01-01T00:00:00.000Z" };
    const acked = ackedMessage<WireRoomMessage>(expectOk(await emitAck(a, "message:send", spoof)));
    const received = await arrival;
    expect(received.sender).toMatchObject(senderOf(ada));
    expect(acked.sender).toMatchObject(senderOf(ada));
    expect(received.createdAt).not.toBe("2000-01-01T00:00:00.000Z");
    expect(await storedBy(chat, cid)).toBe(0);
    expect((await roomHistory(chat, bob, room.id)).messages.map((m) => m.sender.id)).toEqual([ada.id]);
  });
});

describe(`message:send, client behaviour (${testDriver})`, () => {
  test("a clientId reused for a different message is INVALID; nothing new is stored or broadcast", async () => {
    await using chat = await startChat();
    const { ada, room, a, b } = await roomScene(chat);
    // Listening before the send: the broadcast may reach Ada before the ack reaches Bob.
    const received = waitFor(a, "message:received");
    const first = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: "original", clientId: "k-1" })));
    await received;
    const quiet = expectNone(a, "message:received");
    expectAckError(await emitAck(b, "message:send", { roomId: room.id, text: "different", clientId: "k-1" }), "INVALID");
    await quiet.check();
    expect((await roomHistory(chat, ada, room.id)).messages.map((m) => [m.id, m.text])).toEqual([[first.id, "original"]]);
  });

  test("a retry of a text holding a lone surrogate (an emoji cut in half) is still idempotent, for rooms and DMs", async () => {
    await using chat = await startChat();
    const { ada, bob, room, b } = await roomScene(chat);
    const text = "cut emoji \uD83D";
    const attempts = [
      ["message:send", { roomId: room.id, text, clientId: "half-1" }],
      ["dm:send", { recipientId: ada.id, text, clientId: "half-2" }],
    ] as const;
    for (const [event, payload] of attempts) {
      const first = await emitAck(b, event, payload);
      const retry = await emitAck(b, event, payload);
      // Refusing such text outright (INVALID both times) would be consistent too; a first success
      // followed by "clientId was already used for a different message" is not.
      if (!first.ok) {
        expectAckError(first, "INVALID");
        expectAckError(retry, "INVALID");
        continue;
      }
      const stored = ackedMessage<{ id: number }>(first.data);
      if (!retry.ok) throw new Error(`${event}: the retry of a stored message was refused: ${JSON.stringify(retry)}`);
      expect(ackedMessage<{ id: number }>(retry.data).id).toBe(stored.id);
    }
    expect((await roomHistory(chat, ada, room.id)).messages.length).toBeLessThanOrEqual(1);
    expect((await dmHistory(chat, ada, bob.id)).messages.length).toBeLessThanOrEqual(1);
  });

  test("a join followed at once by sends (no waiting for acks): the sends find the room joined and arrive in order", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", room.id));
    const b = await chat.connect(bob);
    const atA = record<WireRoomMessage>(a, "message:received");
    const texts = Array.from({ length: 15 }, (_, i) => `burst ${i}`);
    const acks = [emitAck(b, "room:join", room.id), ...texts.map((text) => emitAck(b, "message:send", { roomId: room.id, text }))];
    for (const ack of await Promise.all(acks)) expectOk(ack);
    await barrier(a);
    expect(atA.map((m) => m.text)).toEqual(texts);
    const ids = atA.map((m) => m.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  test("room ids are case-insensitive like REST's: join upper-case, send lower-case, leave upper-case", async () => {
    await using chat = await startChat();
    const { ada, room, a } = await roomScene(chat);
    const [cid] = [await chat.user("Cid")];
    const c = await chat.connect(cid);
    const joined = waitFor<{ roomId: string }>(a, "room:userJoined");
    expectOk(await emitAck(c, "room:join", room.id.toUpperCase()));
    expect((await joined).roomId).toBe(room.id);
    const arrival = waitFor<WireRoomMessage>(a, "message:received");
    expectOk(await emitAck(c, "message:send", { roomId: room.id, text: "same room" }));
    expect((await arrival).roomId).toBe(room.id);
    const left = waitFor<{ roomId: string }>(a, "room:userLeft");
    expectOk(await emitAck(c, "room:leave", room.id.toUpperCase()));
    expect((await left).roomId).toBe(room.id);
    expectAckError(await emitAck(c, "message:send", { roomId: room.id, text: "gone" }), ["FORBIDDEN", "NOT_FOUND"]);
    expect((await roomHistory(chat, ada, room.id)).messages.map((m) => m.text)).toEqual(["same room"]);
  });

  test("long-polling-only and WebSocket-only clients chat with each other (room messages, DMs, typing)", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const polling = await chat.connect(ada, { transports: ["polling"] });
    const ws = await chat.connect(bob, { transports: ["websocket"] });
    expect(polling.io.engine.transport.name).toBe("polling");
    expect(ws.io.engine.transport.name).toBe("websocket");
    for (const s of [polling, ws]) expectOk(await emitAck(s, "room:join", room.id));

    const toPolling = waitFor<WireRoomMessage>(polling, "message:received");
    const toWs = waitFor<WireRoomMessage>(ws, "message:received");
    expectOk(await emitAck(ws, "message:send", { roomId: room.id, text: "from ws" }));
    expect([(await toPolling).text, (await toWs).text]).toEqual(["from ws", "from ws"]);

    const dmToWs = waitFor<WireDirectMessage>(ws, "dm:received");
    const dmEcho = waitFor<WireDirectMessage>(polling, "dm:received");
    expectOk(await emitAck(polling, "dm:send", { recipientId: bob.id, text: "from polling" }));
    expect([(await dmToWs).text, (await dmEcho).text]).toEqual(["from polling", "from polling"]);

    const typing = waitFor<{ userId: string; isTyping: boolean }>(polling, "typing:update");
    expectOk(await emitAck(ws, "typing:start", { roomId: room.id }));
    expect(await typing).toMatchObject({ userId: bob.id, isTyping: true });
  });
});

describe(`dm:send (${testDriver})`, () => {
  test("dm:received reaches every tab of the recipient and of the sender exactly once, and nobody else", async () => {
    await using chat = await startChat();
    const [ada, bob, cid] = [await chat.user("Ada", "Lovelace"), await chat.user("Bob", "Builder"), await chat.user("Cid")];
    const a1 = await chat.connect(ada);
    const a2 = await chat.connect(ada);
    const b1 = await chat.connect(bob);
    const b2 = await chat.connect(bob);
    const c = await chat.connect(cid);
    const tabs = [a1, a2, b1, b2];
    const seen = tabs.map((s) => record<WireDirectMessage>(s, "dm:received"));
    const toCid = record(c, "dm:received");
    const arrivals = tabs.map((s) => waitFor<WireDirectMessage>(s, "dm:received"));
    const acked = ackedMessage<WireDirectMessage>(expectOk(await emitAck(a1, "dm:send", { recipientId: bob.id, text: " hi Bob ", clientId: "d-1" })));
    const expected = { id: acked.id, sender: expect.objectContaining(senderOf(ada)), recipientId: bob.id, text: "hi Bob", createdAt: expect.any(String), clientId: "d-1" };
    for (const payload of await Promise.all(arrivals)) {
      expect(payload).toEqual(expected);
      expect(Object.keys(payload).sort()).toEqual(DIRECT_MESSAGE_KEYS);
      expect(payload.sender).not.toHaveProperty("email");
    }
    await Promise.all([...tabs, c].map((s) => barrier(s)));
    expect(seen.map((list) => list.length)).toEqual([1, 1, 1, 1]);
    expect(toCid).toEqual([]);
  });

  test("a DM to oneself reaches each of one's tabs exactly once", async () => {
    await using chat = await startChat();
    const ada = await chat.user("Ada");
    const tabs = [await chat.connect(ada), await chat.connect(ada)];
    const seen = tabs.map((s) => record<WireDirectMessage>(s, "dm:received"));
    const arrivals = tabs.map((s) => waitFor<WireDirectMessage>(s, "dm:received"));
    const [first] = tabs;
    if (!first) throw new Error("no tab");
    expectOk(await emitAck(first, "dm:send", { recipientId: ada.id, text: "note to self" }));
    for (const payload of await Promise.all(arrivals)) expect(payload).toMatchObject({ recipientId: ada.id, sender: { id: ada.id }, text: "note to self" });
    await Promise.all(tabs.map((s) => barrier(s)));
    expect(seen.map((list) => list.length)).toEqual([1, 1]);
  });

  test("an unknown recipient: dm:error {message: 'Recipient not found'} and a NOT_FOUND ack; nothing stored", async () => {
    await using chat = await startChat();
    const ada = await chat.user("Ada");
    const a = await chat.connect(ada);
    const dmError = waitFor<Record<string, unknown>>(a, "dm:error");
    const noReceived = expectNone(a, "dm:received");
    const ack = await emitAck(a, "dm:send", { recipientId: UNKNOWN_ID, text: "anyone?" });
    expectAckError(ack, "NOT_FOUND");
    expect(await dmError).toEqual({ message: "Recipient not found" });
    await noReceived.check();
    expect(await storedBy(chat, ada)).toBe(0);
  });

  test("a seed-style client without acks still hears dm:error for an unknown recipient, and gets its DMs", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const a = await chat.connect(ada);
    const b = await chat.connect(bob);
    const dmError = waitFor(a, "dm:error");
    a.emit("dm:send", { recipientId: UNKNOWN_ID, text: "no ack" });
    expect(await dmError).toEqual({ message: "Recipient not found" });
    const arrival = waitFor<WireDirectMessage>(b, "dm:received");
    a.emit("dm:send", { recipientId: bob.id, text: "no ack either" });
    expect(await arrival).toMatchObject({ text: "no ack either", sender: { id: ada.id }, recipientId: bob.id });
  });

  test("a malformed recipient id is refused without an internal error; nothing stored", async () => {
    await using chat = await startChat();
    const ada = await chat.user("Ada");
    const a = await chat.connect(ada);
    for (const recipientId of ["bob", "1", `${UNKNOWN_ID}0`, "' or 1=1 --"]) {
      expectAckError(await emitAck(a, "dm:send", { recipientId, text: "hello?" }), ["NOT_FOUND", "INVALID"]);
    }
    expect(await storedBy(chat, ada)).toBe(0);
    expect(a.connected).toBe(true);
  });

  test("invalid DM payloads are INVALID and store nothing", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const a = await chat.connect(ada);
    const b = await chat.connect(bob);
    const toBob = record(b, "dm:received");
    for (const payload of [
      { recipientId: bob.id, text: "" },
      { recipientId: bob.id, text: "  " },
      { recipientId: bob.id, text: "q".repeat(4001) },
      { recipientId: bob.id, text: "nul\u0000" },
      { recipientId: bob.id, text: 5 },
      { recipientId: bob.id },
      { text: "to nobody" },
      { recipientId: 5, text: "numeric" },
    ]) {
      expectAckError(await emitAck(a, "dm:send", payload), "INVALID");
    }
    await barrier(b);
    expect(toBob).toEqual([]);
    expect(await storedBy(chat, ada)).toBe(0);
  });

  test("to an offline recipient: stored, echoed to the sender, and readable later through REST by both", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const a = await chat.connect(ada);
    const echo = waitFor<WireDirectMessage>(a, "dm:received");
    const acked = ackedMessage<WireDirectMessage>(expectOk(await emitAck(a, "dm:send", { recipientId: bob.id, text: "while you were away" })));
    expect((await echo).id).toBe(acked.id);
    const forBob = await dmHistory(chat, bob, ada.id);
    expect(forBob.messages.map((m) => [m.id, m.sender.id, m.recipientId, m.text])).toEqual([[acked.id, ada.id, bob.id, "while you were away"]]);
    expect(await dmHistory(chat, ada, bob.id)).toEqual(forBob);
  });

  test("no IDOR: a third user naming either participant reads only their own (empty) conversation", async () => {
    await using chat = await startChat();
    const [ada, bob, eve] = [await chat.user("Ada"), await chat.user("Bob"), await chat.user("Eve")];
    const a = await chat.connect(ada);
    const b = await chat.connect(bob);
    expectOk(await emitAck(a, "dm:send", { recipientId: bob.id, text: "secret to bob" }));
    expectOk(await emitAck(b, "dm:send", { recipientId: ada.id, text: "secret to ada" }));
    for (const other of [ada, bob]) expect(await dmHistory(chat, eve, other.id)).toEqual({ messages: [], nextBefore: null });
    expect((await dmHistory(chat, ada, bob.id)).messages.map((m) => m.text)).toEqual(["secret to ada", "secret to bob"]);
    expect((await chat.rest("GET", `/api/dms/${bob.id}/messages`)).status).toBe(401);
  });

  test("a spoofed senderId/sender in the payload is ignored: the DM is from the authenticated user", async () => {
    await using chat = await startChat();
    const [ada, bob, eve] = [await chat.user("Ada"), await chat.user("Bob"), await chat.user("Eve")];
    const e = await chat.connect(eve);
    const b = await chat.connect(bob);
    const arrival = waitFor<WireDirectMessage>(b, "dm:received");
    const payload = { recipientId: bob.id, text: "it's Ada, honest", senderId: ada.id, userId: ada.id, sender: { id: ada.id, firstName: "Ada" } };
    expectOk(await emitAck(e, "dm:send", payload));
    expect((await arrival).sender).toMatchObject(senderOf(eve));
    expect(await dmHistory(chat, bob, ada.id)).toEqual({ messages: [], nextBefore: null });
    expect((await dmHistory(chat, bob, eve.id)).messages.map((m) => m.sender.id)).toEqual([eve.id]);
    expect(await storedBy(chat, ada)).toBe(0);
  });

  test("a DM retry with the same clientId answers the same message and stores one row", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const a = await chat.connect(ada);
    const first = ackedMessage<WireDirectMessage>(expectOk(await emitAck(a, "dm:send", { recipientId: bob.id, text: "once", clientId: "dm-retry" })));
    const second = ackedMessage<WireDirectMessage>(expectOk(await emitAck(a, "dm:send", { recipientId: bob.id, text: "once", clientId: "dm-retry" })));
    expect(second.id).toBe(first.id);
    expect((await dmHistory(chat, bob, ada.id)).messages).toHaveLength(1);
    expect(await storedBy(chat, ada, "direct")).toBe(1);
  });
});
