// Direct messages on the real test database: unknown recipients, idempotent clientIds, and history
// that only ever shows the conversation between the reader and the other user.
import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { InvalidInputError, NotFoundError } from "../../src/chat/errors.ts";
import type { User } from "../../src/chat/types.ts";
import { schema } from "../../src/db/database.ts";
import { testDatabase, testDriver } from "../support/database.ts";
import { registerUser, rejectionOf, testChat, UNKNOWN_ID, type TestChat } from "../support/chat.ts";

let t: TestChat;
let ada: User;
let bob: User;
let cid: User;
beforeAll(async () => {
  t = await testChat();
  ada = (await registerUser(t.chat, "Ada")).user;
  bob = (await registerUser(t.chat, "Bob")).user;
  cid = (await registerUser(t.chat, "Cid")).user;
});

const send = (senderId: string, recipientId: string, text: unknown, clientId?: unknown) =>
  t.chat.directMessages.send({ senderId, recipientId, text, clientId });

describe(`direct messages (${testDriver})`, () => {
  test("a message to a user is stored and comes back with its sender and recipient", async () => {
    const { message, created } = await send(ada.id, bob.id, " hi Bob ");
    expect(created).toBe(true);
    expect(message).toEqual({
      id: expect.any(Number),
      sender: { id: ada.id, firstName: "Ada", lastName: "Tester", avatar: null },
      recipientId: bob.id,
      text: "hi Bob",
      clientId: null,
      createdAt: expect.any(Date),
    });
  });

  test("an unknown or malformed recipient is NotFound: Recipient not found, and nothing is stored", async () => {
    for (const recipientId of [UNKNOWN_ID, "bob"]) {
      const clientId = crypto.randomUUID();
      const error = await rejectionOf(send(ada.id, recipientId, "hello?", clientId));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ message: "Recipient not found" });
      const { db } = await testDatabase();
      expect(await db.select().from(schema.messages).where(eq(schema.messages.clientId, clientId))).toEqual([]);
    }
  });

  test("text rules apply as in rooms", async () => {
    for (const text of ["", "x".repeat(4001), "\u0000", 1]) {
      expect(await rejectionOf(send(ada.id, bob.id, text))).toBeInstanceOf(InvalidInputError);
    }
  });

  test("a retry with the same clientId returns the stored message", async () => {
    const clientId = crypto.randomUUID();
    const first = await send(ada.id, bob.id, "once", clientId);
    expect(await send(ada.id, bob.id, "once", clientId)).toEqual({ message: first.message, created: false });
    expect(await rejectionOf(send(ada.id, cid.id, "once", clientId))).toBeInstanceOf(InvalidInputError);
  });

  test("history holds both directions of one conversation and nothing else", async () => {
    const { user: x } = await registerUser(t.chat, "X");
    const { user: y } = await registerUser(t.chat, "Y");
    const { user: z } = await registerUser(t.chat, "Z");
    await send(x.id, y.id, "x to y");
    await send(y.id, x.id, "y to x");
    await send(x.id, z.id, "x to z");
    await send(z.id, y.id, "z to y");
    const texts = async (reader: string, other: string) => (await t.chat.directMessages.history(reader, other, {})).messages.map((m) => m.text);
    expect(await texts(x.id, y.id)).toEqual(["y to x", "x to y"]);
    expect(await texts(y.id, x.id)).toEqual(["y to x", "x to y"]);
    // Z asking about X reads only Z↔X, never X↔Y.
    expect(await texts(z.id, x.id)).toEqual(["x to z"]);
    expect(await texts(z.id, y.id)).toEqual(["z to y"]);
  });

  test("history with an unknown user is NotFound", async () => {
    expect(await rejectionOf(t.chat.directMessages.history(ada.id, UNKNOWN_ID, {}))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(t.chat.directMessages.history(ada.id, "nobody", {}))).toBeInstanceOf(NotFoundError);
  });

  test("history pages with no gaps or duplicates", async () => {
    const { user: other } = await registerUser(t.chat, "Pager");
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) sent.push((await send(i % 2 ? other.id : cid.id, i % 2 ? cid.id : other.id, `d${i}`)).message.id);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await t.chat.directMessages.history(cid.id, other.id, { before, limit: 3 });
      seen.push(...page.messages.map((m) => m.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(seen).toEqual([...sent].reverse());
  });
});
