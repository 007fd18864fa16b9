// Room chat on the real test database: who may send and read, text rules, idempotent clientIds,
// senders resolved, and cursor pagination with no gaps or duplicates.
import { beforeAll, describe, expect, test } from "bun:test";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../../src/chat/errors.ts";
import type { Room, User } from "../../src/chat/types.ts";
import { testDriver } from "../support/database.ts";
import { registerUser, rejectionOf, testChat, UNKNOWN_ID, type TestChat } from "../support/chat.ts";

let t: TestChat;
let ada: User;
let bob: User;
let eve: User;
let open: Room;
let secret: Room;
beforeAll(async () => {
  t = await testChat();
  ada = (await registerUser(t.chat, "Ada")).user;
  bob = (await registerUser(t.chat, "Bob")).user;
  eve = (await registerUser(t.chat, "Eve")).user;
  open = await t.chat.rooms.create(ada.id, { name: "Open", isPublic: true });
  secret = await t.chat.rooms.create(ada.id, { name: "Secret", isPublic: false });
  await t.chat.rooms.join(bob.id, open.id);
});

const send = (userId: string, roomId: string, text: unknown, clientId?: unknown) => t.chat.roomMessages.send({ userId, roomId, text, clientId });

describe(`room messages (${testDriver})`, () => {
  test("a participant's message is stored trimmed and comes back with its sender", async () => {
    const { message, created } = await send(bob.id, open.id, "  hello room  ");
    expect(created).toBe(true);
    expect(message).toEqual({
      id: expect.any(Number),
      roomId: open.id,
      sender: { id: bob.id, firstName: "Bob", lastName: "Tester", avatar: null },
      text: "hello room",
      clientId: null,
      createdAt: expect.any(Date),
    });
  });

  test("a non-participant cannot send to a public room (Forbidden) nor to a private one (NotFound)", async () => {
    expect(await rejectionOf(send(eve.id, open.id, "hi"))).toBeInstanceOf(ForbiddenError);
    expect(await rejectionOf(send(eve.id, secret.id, "hi"))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(send(eve.id, UNKNOWN_ID, "hi"))).toBeInstanceOf(NotFoundError);
    expect((await t.chat.roomMessages.history(ada.id, secret.id, {})).messages).toEqual([]);
  });

  test("text must be a non-empty string of at most 4000 characters without NUL", async () => {
    for (const text of ["", "   ", "x".repeat(4001), "a\u0000b", 42, null, { text: "x" }]) {
      const error = await rejectionOf(send(bob.id, open.id, text));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field: "text" });
    }
    expect((await send(bob.id, open.id, "x".repeat(4000))).message.text).toHaveLength(4000);
  });

  test("a retry with the same clientId returns the stored message and stores nothing new", async () => {
    const clientId = crypto.randomUUID();
    const first = await send(bob.id, open.id, "once", clientId);
    const retry = await send(bob.id, open.id, " once ", clientId);
    expect(first.created).toBe(true);
    expect(retry).toEqual({ message: first.message, created: false });
    const { messages } = await t.chat.roomMessages.history(ada.id, open.id, { limit: 10 });
    expect(messages.filter((m) => m.clientId === clientId)).toHaveLength(1);
  });

  test("the same clientId for a different message is refused", async () => {
    const clientId = crypto.randomUUID();
    await send(bob.id, open.id, "first", clientId);
    const error = await rejectionOf(send(bob.id, open.id, "second", clientId));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: "clientId" });
    expect(await rejectionOf(send(bob.id, open.id, "x", ""))).toBeInstanceOf(InvalidInputError);
  });

  test("history: public rooms for anyone signed in, private rooms for participants only", async () => {
    await send(ada.id, secret.id, "private words");
    expect((await t.chat.roomMessages.history(eve.id, open.id, {})).messages.length).toBeGreaterThan(0);
    expect(await rejectionOf(t.chat.roomMessages.history(eve.id, secret.id, {}))).toBeInstanceOf(NotFoundError);
    expect((await t.chat.roomMessages.history(ada.id, secret.id, {})).messages.map((m) => m.text)).toEqual(["private words"]);
  });

  test("history pages run newest first with no gaps or duplicates, and say when they end", async () => {
    const room = await t.chat.rooms.create(ada.id, { name: "Paged" });
    await t.chat.rooms.join(bob.id, room.id);
    const sent: number[] = [];
    for (let i = 0; i < 12; i++) sent.push((await send(i % 2 ? ada.id : bob.id, room.id, `m${i}`)).message.id);

    const seen: number[] = [];
    let before: number | undefined;
    const sizes: number[] = [];
    for (;;) {
      const page = await t.chat.roomMessages.history(eve.id, room.id, { before, limit: 5 });
      sizes.push(page.messages.length);
      seen.push(...page.messages.map((m) => m.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(sizes).toEqual([5, 5, 2]);
    expect(seen).toEqual([...sent].reverse());
    const first = await t.chat.roomMessages.history(eve.id, room.id, { limit: 2 });
    expect(first.messages.map((m) => [m.text, m.sender.firstName])).toEqual([["m11", "Ada"], ["m10", "Bob"]]);
  });

  test("bad page parameters are refused before anything is read", async () => {
    for (const page of [{ limit: 101 }, { limit: 0 }, { before: -1 }]) {
      expect(await rejectionOf(t.chat.roomMessages.history(ada.id, open.id, page))).toBeInstanceOf(InvalidInputError);
    }
  });
});
