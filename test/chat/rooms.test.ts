// Rooms on the real test database: creation (admin creator, realtime notice), visibility of private
// rooms, admin-only membership, and joining/leaving as the socket gateway will call them.
import { beforeAll, describe, expect, test } from "bun:test";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../../src/chat/errors.ts";
import type { User } from "../../src/chat/types.ts";
import { testDriver } from "../support/database.ts";
import { registerUser, rejectionOf, testChat, UNKNOWN_ID, type TestChat } from "../support/chat.ts";

let t: TestChat;
let ada: User;
let bob: User;
let eve: User;
beforeAll(async () => {
  t = await testChat();
  ada = (await registerUser(t.chat, "Ada")).user;
  bob = (await registerUser(t.chat, "Bob")).user;
  eve = (await registerUser(t.chat, "Eve")).user;
});

const publicRoom = () => t.chat.rooms.create(ada.id, { name: "Algebra", description: "groups", isPublic: true });
const privateRoom = () => t.chat.rooms.create(ada.id, { name: "Secret", isPublic: false });

describe(`rooms (${testDriver})`, () => {
  test("create stores trimmed fields, makes the creator admin, and tells the realtime notifier", async () => {
    const before = t.notifier.roomsCreated.length;
    const room = await t.chat.rooms.create(ada.id, { name: "  Physics  ", description: " Mechanics ", isPublic: true });
    expect(room).toMatchObject({ name: "Physics", description: "Mechanics", isPublic: true, createdBy: ada.id });
    expect(await t.repos.rooms.getParticipant(room.id, ada.id)).toMatchObject({ role: "admin" });
    expect(t.notifier.roomsCreated.slice(before)).toEqual([{ room, creator: { id: ada.id, firstName: "Ada", lastName: "Tester" } }]);
  });

  test("a room is public with an empty description unless told otherwise", async () => {
    expect(await t.chat.rooms.create(ada.id, { name: "Defaults" })).toMatchObject({ isPublic: true, description: "" });
  });

  test("invalid names and descriptions are refused, and nothing is announced", async () => {
    const before = t.notifier.roomsCreated.length;
    for (const [input, field] of [
      [{ name: "  " }, "name"],
      [{ name: "x".repeat(101) }, "name"],
      [{ name: 5 }, "name"],
      [{ name: "ok", description: "x".repeat(1001) }, "description"],
    ] as const) {
      const error = await rejectionOf(t.chat.rooms.create(ada.id, input));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field });
    }
    expect(t.notifier.roomsCreated.length).toBe(before);
  });

  test("the list shows public rooms and my private ones with participant counts, not others' private ones", async () => {
    const open = await publicRoom();
    const secret = await privateRoom();
    await t.chat.rooms.join(bob.id, open.id);
    const forAda = await t.chat.rooms.list(ada.id);
    const forEve = await t.chat.rooms.list(eve.id);
    expect(forAda.find((r) => r.id === open.id)?.participantCount).toBe(2);
    expect(forAda.find((r) => r.id === secret.id)?.participantCount).toBe(1);
    expect(forEve.some((r) => r.id === open.id)).toBe(true);
    expect(forEve.some((r) => r.id === secret.id)).toBe(false);
  });

  test("details list the participants; a private room is NotFound to outsiders", async () => {
    const secret = await privateRoom();
    const details = await t.chat.rooms.get(ada.id, secret.id);
    expect(details).toMatchObject({ id: secret.id, participantCount: 1 });
    expect(details.participants).toEqual([
      { role: "admin", joinedAt: expect.any(Date), user: { id: ada.id, firstName: "Ada", lastName: "Tester", avatar: null, role: "student" } },
    ]);
    const error = await rejectionOf(t.chat.rooms.get(eve.id, secret.id));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ message: "Room not found" });
    for (const id of [UNKNOWN_ID, "nope"]) expect(await rejectionOf(t.chat.rooms.get(ada.id, id))).toBeInstanceOf(NotFoundError);
  });

  test("an admin adds participants (idempotently); they can then see the private room", async () => {
    const secret = await privateRoom();
    expect(await t.chat.rooms.addParticipant(ada.id, secret.id, bob.id)).toEqual({ room: secret, userId: bob.id, added: true });
    expect(await t.chat.rooms.addParticipant(ada.id, secret.id, bob.id)).toMatchObject({ added: false });
    expect(await t.repos.rooms.getParticipant(secret.id, bob.id)).toMatchObject({ role: "member" });
    expect((await t.chat.rooms.get(bob.id, secret.id)).participantCount).toBe(2);
  });

  test("re-adding the admin does not demote them", async () => {
    const secret = await privateRoom();
    expect(await t.chat.rooms.addParticipant(ada.id, secret.id, ada.id)).toMatchObject({ added: false });
    expect(await t.repos.rooms.getParticipant(secret.id, ada.id)).toMatchObject({ role: "admin" });
  });

  test("members cannot add (Forbidden); outsiders of a private room get NotFound; the target must exist", async () => {
    const open = await publicRoom();
    await t.chat.rooms.join(bob.id, open.id);
    expect(await rejectionOf(t.chat.rooms.addParticipant(bob.id, open.id, eve.id))).toBeInstanceOf(ForbiddenError);
    expect(await rejectionOf(t.chat.rooms.addParticipant(eve.id, open.id, eve.id))).toBeInstanceOf(ForbiddenError);
    const secret = await privateRoom();
    expect(await rejectionOf(t.chat.rooms.addParticipant(eve.id, secret.id, eve.id))).toBeInstanceOf(NotFoundError);
    const missing = await rejectionOf(t.chat.rooms.addParticipant(ada.id, secret.id, UNKNOWN_ID));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ message: "User not found" });
    expect(await t.repos.rooms.getParticipant(open.id, eve.id)).toBeUndefined();
  });

  test("join: a public room persists the participant, and a second join is already-participant", async () => {
    const open = await publicRoom();
    expect(await t.chat.rooms.join(bob.id, open.id)).toEqual({ room: open, alreadyParticipant: false });
    expect(await t.chat.rooms.join(bob.id, open.id)).toEqual({ room: open, alreadyParticipant: true });
    expect(await t.repos.rooms.getParticipant(open.id, bob.id)).toMatchObject({ role: "member" });
  });

  test("join: a private room only for its participants; others get NotFound and are not added", async () => {
    const secret = await privateRoom();
    expect(await rejectionOf(t.chat.rooms.join(eve.id, secret.id))).toBeInstanceOf(NotFoundError);
    expect(await t.repos.rooms.getParticipant(secret.id, eve.id)).toBeUndefined();
    expect(await t.chat.rooms.join(ada.id, secret.id)).toEqual({ room: secret, alreadyParticipant: true });
    expect(await rejectionOf(t.chat.rooms.join(bob.id, UNKNOWN_ID))).toBeInstanceOf(NotFoundError);
  });
});
