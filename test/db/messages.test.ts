import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/database.ts";
import { clampHistoryLimit, type CreateMessageResult, type Message, type Room, type User } from "../../src/db/repositories/index.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser, UNKNOWN_UUID, type Fixture } from "./fixtures.ts";
import { rejectionOf } from "../support/promises.ts";

let fx: Fixture;
let alice: User;
let bob: User;
let carol: User;
let room: Room;
beforeEach(async () => {
  fx = await freshFixture();
  alice = await makeUser(fx.repos, "Alice");
  bob = await makeUser(fx.repos, "Bob");
  carol = await makeUser(fx.repos, "Carol");
  room = await fx.repos.rooms.create({ name: "r", isPublic: true, createdBy: alice.id });
  await fx.repos.rooms.addParticipant(room.id, bob.id);
});

async function messageCount(): Promise<number> {
  const rows = rowsOf<{ n: number }>(await fx.database.db.execute(sql`select count(*)::int as n from messages`));
  return rows[0]?.n ?? -1;
}

function stored(result: CreateMessageResult): Message {
  if (!result.ok) throw new Error(`expected a stored message, got ${result.reason}`);
  return result.message;
}

/** Walks every page of a history until it runs dry, as a client scrolling up would. */
async function readAllPages(page: (before: number | undefined) => Promise<Message[]>): Promise<number[][]> {
  const pages: number[][] = [];
  let before: number | undefined;
  for (;;) {
    const batch = await page(before);
    if (batch.length === 0) return pages;
    pages.push(batch.map((m) => m.id));
    before = batch[batch.length - 1]?.id;
  }
}

describe(`messages repository (${testDriver})`, () => {
  test("a room message comes back in the domain shape", async () => {
    const result = await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "hi" });
    expect(result.ok && result.created).toBe(true);
    const message = stored(result);
    expect(message).toEqual({
      id: expect.any(Number),
      type: "room",
      roomId: room.id,
      recipientId: null,
      senderId: alice.id,
      text: "hi",
      clientId: null,
      createdAt: expect.any(Date),
    });
  });

  test("a direct message comes back in the domain shape", async () => {
    const message = stored(
      await fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: alice.id, text: "yo", clientId: "c-1" }),
    );
    expect(message).toMatchObject({ type: "direct", roomId: null, recipientId: bob.id, senderId: alice.id, clientId: "c-1" });
    expect(message.createdAt).toBeInstanceOf(Date);
  });

  test("without a clientId every send is a new message", async () => {
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "same" });
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "same" });
    expect(await messageCount()).toBe(2);
  });

  test("a retry with the same clientId returns the stored message and stores nothing", async () => {
    const input = { roomId: room.id, senderId: alice.id, text: "once", clientId: "retry-1" };
    const first = await fx.repos.messages.createRoomMessage(input);
    const retry = await fx.repos.messages.createRoomMessage(input);
    expect(first.ok && first.created).toBe(true);
    expect(retry).toEqual({ ok: true, created: false, message: stored(first) });
    // An upper-case room id is the same room: still a retry, not a conflict.
    const upper = await fx.repos.messages.createRoomMessage({ ...input, roomId: room.id.toUpperCase() });
    expect(upper).toEqual({ ok: true, created: false, message: stored(first) });

    const dm = { recipientId: bob.id, senderId: alice.id, text: "dm once", clientId: "retry-2" };
    const dmFirst = await fx.repos.messages.createDirectMessage(dm);
    expect(await fx.repos.messages.createDirectMessage(dm)).toEqual({ ok: true, created: false, message: stored(dmFirst) });
    expect(await messageCount()).toBe(2);
  });

  test("the same clientId from different senders is two messages", async () => {
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "a", clientId: "k" });
    const fromBob = await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: bob.id, text: "b", clientId: "k" });
    expect(fromBob.ok && fromBob.created).toBe(true);
    expect(await messageCount()).toBe(2);
  });

  test("a clientId reused for another target or text is a conflict, never the other message", async () => {
    const otherRoom = await fx.repos.rooms.create({ name: "other", isPublic: true, createdBy: alice.id });
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "x", clientId: "k" });
    const conflict = { ok: false, reason: "client_id_conflict" } as const;
    expect(
      await fx.repos.messages.createRoomMessage({ roomId: otherRoom.id, senderId: alice.id, text: "x", clientId: "k" }),
    ).toEqual(conflict);
    expect(
      await fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: alice.id, text: "x", clientId: "k" }),
    ).toEqual(conflict);
    expect(
      await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "edited", clientId: "k" }),
    ).toEqual(conflict);

    await fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: alice.id, text: "d", clientId: "dk" });
    expect(
      await fx.repos.messages.createDirectMessage({ recipientId: carol.id, senderId: alice.id, text: "d", clientId: "dk" }),
    ).toEqual(conflict);
    expect(await messageCount()).toBe(2);
  });

  test("concurrent sends with one clientId store one message and all get it", async () => {
    const input = { roomId: room.id, senderId: alice.id, text: "race", clientId: "race-1" };
    const results = await Promise.all([1, 2, 3, 4].map(() => fx.repos.messages.createRoomMessage(input)));
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => stored(r).id)).size).toBe(1);
    expect(await messageCount()).toBe(1);
  });

  test("a missing or malformed room or recipient is target_not_found", async () => {
    const notFound = { ok: false, reason: "target_not_found" } as const;
    expect(await fx.repos.messages.createRoomMessage({ roomId: UNKNOWN_UUID, senderId: alice.id, text: "x" })).toEqual(notFound);
    expect(await fx.repos.messages.createRoomMessage({ roomId: "lobby", senderId: alice.id, text: "x" })).toEqual(notFound);
    expect(
      await fx.repos.messages.createDirectMessage({ recipientId: UNKNOWN_UUID, senderId: alice.id, text: "x", clientId: "c" }),
    ).toEqual(notFound);
    expect(await fx.repos.messages.createDirectMessage({ recipientId: "bob", senderId: alice.id, text: "x" })).toEqual(notFound);
    expect(await messageCount()).toBe(0);
  });

  test("a room message from someone outside the room is not_participant and stores nothing", async () => {
    const refused = { ok: false, reason: "not_participant" } as const;
    expect(await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: carol.id, text: "x" })).toEqual(refused);
    expect(await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: carol.id, text: "x", clientId: "c" })).toEqual(refused);
    expect(await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: UNKNOWN_UUID, text: "x" })).toEqual(refused);
    expect(await messageCount()).toBe(0);
  });

  test("a sender that does not exist is an error, not target_not_found", async () => {
    expect(await rejectionOf(fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: UNKNOWN_UUID, text: "x" }))).toBeInstanceOf(Error);
    expect(await rejectionOf(fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: "not-a-uuid", text: "x" }))).toBeInstanceOf(Error);
  });

  test("sends made at once share statements and keep their order, each answered for itself", async () => {
    // Submitted in one task, so they go out together: ids follow submit order, and a refused or
    // conflicting row in the batch fails only itself.
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "taken", clientId: "k-taken" });
    const sends = [
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "one" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: carol.id, text: "not in the room" }),
      fx.repos.messages.createDirectMessage({ recipientId: carol.id, senderId: bob.id, text: "two" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "other text", clientId: "k-taken" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "taken", clientId: "k-taken" }),
      fx.repos.messages.createDirectMessage({ recipientId: UNKNOWN_UUID, senderId: bob.id, text: "nobody" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: bob.id, text: "three", clientId: "k-new" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: bob.id, text: "three", clientId: "k-new" }),
      fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: UNKNOWN_UUID, text: "from a ghost" }),
      fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: bob.id, text: "four" }),
    ];
    const results = await Promise.allSettled(sends);
    const value = (i: number) => {
      const r = results[i];
      if (r?.status !== "fulfilled") throw new Error(`send ${i} was rejected`);
      return r.value;
    };
    expect(value(1)).toEqual({ ok: false, reason: "not_participant" });
    expect(value(3)).toEqual({ ok: false, reason: "client_id_conflict" });
    expect(value(4)).toMatchObject({ ok: true, created: false, message: { text: "taken" } });
    expect(value(5)).toEqual({ ok: false, reason: "target_not_found" });
    expect(value(6)).toMatchObject({ ok: true, created: true, message: { text: "three" } });
    expect(value(7)).toEqual({ ok: true, created: false, message: stored(value(6)) });
    expect(results[8]?.status).toBe("rejected");
    const created = [0, 2, 6, 9].map((i) => stored(value(i)));
    expect(created.map((m) => m.text)).toEqual(["one", "two", "three", "four"]);
    expect(created.map((m) => m.id)).toEqual([...created.map((m) => m.id)].sort((a, b) => a - b));
    expect(await messageCount()).toBe(5);
  });

  test("texts the statement's JSON must carry exactly come back exactly", async () => {
    const texts = ['quote " and \\ backslash', "new\nline\ttab", "{\"json\": [1, 2]}", "NULL", "émoji 🎉 and ü", "half \ud83d emoji", "a,b;c'd"];
    const results = await Promise.all(texts.map((text) => fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text })));
    const history = await fx.repos.messages.roomHistory(room.id, { limit: 100 });
    const expected = texts.map((t) => t.toWellFormed());
    expect(results.map((r) => stored(r).text)).toEqual(expected);
    expect(history.map((m) => m.text).reverse()).toEqual(expected);
    // The ack's createdAt is the stored one, to the millisecond.
    expect(history.map((m) => m.createdAt.getTime()).reverse()).toEqual(results.map((r) => stored(r).createdAt.getTime()));
  });

  test("room history pages newest first with no gaps or duplicates", async () => {
    const otherRoom = await fx.repos.rooms.create({ name: "other", isPublic: true, createdBy: alice.id });
    const ids: number[] = [];
    for (let i = 0; i < 23; i++) {
      const message = stored(
        await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: i % 2 ? alice.id : bob.id, text: `m${i}` }),
      );
      ids.push(message.id);
      // Interleaved noise that must never show up in this room's history.
      if (i % 5 === 0) await fx.repos.messages.createRoomMessage({ roomId: otherRoom.id, senderId: alice.id, text: "noise" });
      if (i % 7 === 0) await fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: alice.id, text: "dm" });
    }
    const pages = await readAllPages((before) => fx.repos.messages.roomHistory(room.id, { before, limit: 10 }));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(pages.flat()).toEqual([...ids].reverse());

    const newest = await fx.repos.messages.roomHistory(room.id, { limit: 1 });
    expect(newest.map((m) => m.text)).toEqual(["m22"]);
    expect(await fx.repos.messages.roomHistory(room.id, { before: ids[0], limit: 10 })).toEqual([]);
    expect(await fx.repos.messages.roomHistory("bad", { limit: 10 })).toEqual([]);
  });

  test("direct history holds both directions of one pair only, paged", async () => {
    const conversation: number[] = [];
    for (let i = 0; i < 9; i++) {
      const [senderId, recipientId] = i % 3 === 0 ? [bob.id, alice.id] : [alice.id, bob.id];
      conversation.push(stored(await fx.repos.messages.createDirectMessage({ senderId, recipientId, text: `d${i}` })).id);
      await fx.repos.messages.createDirectMessage({ senderId: alice.id, recipientId: carol.id, text: "not bob" });
      await fx.repos.messages.createDirectMessage({ senderId: carol.id, recipientId: bob.id, text: "not alice" });
    }
    await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "room" });

    const fromAlice = await readAllPages((before) => fx.repos.messages.directHistory(alice.id, bob.id, { before, limit: 4 }));
    expect(fromAlice.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(fromAlice.flat()).toEqual([...conversation].reverse());
    // The same conversation from the other side.
    const fromBob = await readAllPages((before) => fx.repos.messages.directHistory(bob.id, alice.id, { before, limit: 100 }));
    expect(fromBob).toEqual([[...conversation].reverse()]);
    expect(await fx.repos.messages.directHistory(alice.id, "bad", { limit: 10 })).toEqual([]);
  });

  test("the limit is clamped to 1..100", async () => {
    for (let i = 0; i < 3; i++) await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: `${i}` });
    expect(await fx.repos.messages.roomHistory(room.id, { limit: 0 })).toHaveLength(1);
    expect(await fx.repos.messages.roomHistory(room.id, { limit: -5 })).toHaveLength(1);
    expect(await fx.repos.messages.roomHistory(room.id, { limit: 2.9 })).toHaveLength(2);
    expect(clampHistoryLimit(10_000)).toBe(100);
    expect(clampHistoryLimit(Number.NaN)).toBe(50);
    expect(await rejectionOf(fx.repos.messages.roomHistory(room.id, { before: 1.5, limit: 10 }))).toBeInstanceOf(RangeError);
  });

  test("messagesAfter: the rooms' messages and the users' direct messages above an id, oldest first", async () => {
    const other = await fx.repos.rooms.create({ name: "other", isPublic: true, createdBy: carol.id });
    const before = stored(await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: "before" }));
    const inRoom = stored(await fx.repos.messages.createRoomMessage({ roomId: room.id, senderId: bob.id, text: "in room" }));
    stored(await fx.repos.messages.createRoomMessage({ roomId: other.id, senderId: carol.id, text: "elsewhere" }));
    const toBob = stored(await fx.repos.messages.createDirectMessage({ recipientId: bob.id, senderId: carol.id, text: "to bob" }));
    const fromBob = stored(await fx.repos.messages.createDirectMessage({ recipientId: alice.id, senderId: bob.id, text: "from bob" }));
    stored(await fx.repos.messages.createDirectMessage({ recipientId: carol.id, senderId: alice.id, text: "not bob's" }));
    const after = await fx.repos.messages.messagesAfter(before.id, { roomIds: [room.id, "not-a-uuid"], userIds: [bob.id] }, 100);
    expect(after.map((m) => m.id)).toEqual([inRoom.id, toBob.id, fromBob.id]);
    expect((await fx.repos.messages.messagesAfter(before.id, { roomIds: [room.id], userIds: [bob.id] }, 2)).map((m) => m.id)).toEqual([inRoom.id, toBob.id]);
    expect(await fx.repos.messages.messagesAfter(0, { roomIds: [], userIds: [] }, 100)).toEqual([]);
    expect(await fx.repos.messages.latestMessageId()).toBeGreaterThanOrEqual(fromBob.id + 1);
  });
});
