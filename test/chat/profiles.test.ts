// Profiles: public fields plus presence; offline with no last activity until a user first connects.
import { beforeAll, describe, expect, test } from "bun:test";
import { NotFoundError } from "../../src/chat/errors.ts";
import { testDriver } from "../support/database.ts";
import { registerUser, testChat, UNKNOWN_ID, type TestChat } from "../support/chat.ts";
import { rejectionOf } from "../support/promises.ts";

let t: TestChat;
beforeAll(async () => {
  t = await testChat();
});

describe(`profiles (${testDriver})`, () => {
  test("a user who never connected is offline with no last activity, and no email is shown", async () => {
    const { user } = await registerUser(t.chat, "Grace");
    const profile = await t.chat.profiles.get(user.id);
    expect(profile).toEqual({
      id: user.id,
      firstName: "Grace",
      lastName: "Tester",
      role: "student",
      avatar: null,
      status: "offline",
      lastActivity: null,
    });
  });

  test("presence shows through: status and when it was observed", async () => {
    const { user } = await registerUser(t.chat);
    const at = new Date("2026-01-02T03:04:05.000Z");
    await t.repos.presence.setStatus(user.id, "online", at);
    expect(await t.chat.profiles.get(user.id)).toMatchObject({ status: "online", lastActivity: at });
  });

  test("unknown and malformed ids are NotFound", async () => {
    for (const id of [UNKNOWN_ID, "abc", "", "'; drop table users; --"]) {
      expect(await rejectionOf(t.chat.profiles.get(id))).toBeInstanceOf(NotFoundError);
    }
  });
});
