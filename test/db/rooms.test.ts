import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/database.ts";
import type { User } from "../../src/db/repositories/index.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser, UNKNOWN_UUID, type Fixture } from "./fixtures.ts";
import { rejectionOf } from "../support/promises.ts";

let fx: Fixture;
let owner: User;
let other: User;
beforeEach(async () => {
  fx = await freshFixture();
  owner = await makeUser(fx.repos, "Owner");
  other = await makeUser(fx.repos, "Other");
});

async function count(table: "study_rooms" | "room_participants"): Promise<number> {
  const rows = rowsOf<{ n: number }>(await fx.database.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`));
  return rows[0]?.n ?? -1;
}

describe(`rooms repository (${testDriver})`, () => {
  test("create returns the room and makes the creator its admin", async () => {
    const room = await fx.repos.rooms.create({ name: "Algebra", description: "Groups", isPublic: true, createdBy: owner.id });
    expect(room).toMatchObject({ name: "Algebra", description: "Groups", isPublic: true, createdBy: owner.id });
    expect(room.createdAt).toBeInstanceOf(Date);
    expect(await fx.repos.rooms.findById(room.id)).toEqual(room);
    const membership = await fx.repos.rooms.getParticipant(room.id, owner.id);
    expect(membership?.role).toBe("admin");
    expect(membership?.joinedAt).toBeInstanceOf(Date);
  });

  test("create defaults description to empty and rooms to public", async () => {
    const room = await fx.repos.rooms.create({ name: "Bare", createdBy: owner.id });
    expect(room.description).toBe("");
    expect(room.isPublic).toBe(true);
  });

  test("create by a user that does not exist fails and leaves nothing behind", async () => {
    expect(await rejectionOf(fx.repos.rooms.create({ name: "Ghost", isPublic: true, createdBy: UNKNOWN_UUID }))).toBeInstanceOf(Error);
    expect(await count("study_rooms")).toBe(0);
    expect(await count("room_participants")).toBe(0);
  });

  test("findById: unknown and malformed ids are not found", async () => {
    expect(await fx.repos.rooms.findById(UNKNOWN_UUID)).toBeUndefined();
    expect(await fx.repos.rooms.findById("room-1")).toBeUndefined();
    expect(await fx.repos.rooms.findById("")).toBeUndefined();
  });

  test("listVisibleTo: public rooms for all, private ones only for participants, newest first", async () => {
    const first = await fx.repos.rooms.create({ name: "public-1", isPublic: true, createdBy: owner.id });
    const secret = await fx.repos.rooms.create({ name: "private-owner", isPublic: false, createdBy: owner.id });
    const second = await fx.repos.rooms.create({ name: "public-2", isPublic: true, createdBy: other.id });
    const shared = await fx.repos.rooms.create({ name: "private-shared", isPublic: false, createdBy: owner.id });
    await fx.repos.rooms.addParticipant(shared.id, other.id);
    await fx.repos.rooms.addParticipant(first.id, other.id);

    const forOwner = await fx.repos.rooms.listVisibleTo(owner.id);
    expect(forOwner.map((r) => r.name)).toEqual(["private-shared", "public-2", "private-owner", "public-1"]);
    const forOther = await fx.repos.rooms.listVisibleTo(other.id);
    expect(forOther.map((r) => r.name)).toEqual(["private-shared", "public-2", "public-1"]);

    const stranger = await makeUser(fx.repos, "Stranger");
    expect((await fx.repos.rooms.listVisibleTo(stranger.id)).map((r) => r.id)).toEqual([second.id, first.id]);
    // A malformed id sees what an anonymous visitor would: public rooms only.
    expect((await fx.repos.rooms.listVisibleTo("nope")).map((r) => r.id)).toEqual([second.id, first.id]);
    expect(forOwner.find((r) => r.id === secret.id)?.isPublic).toBe(false);
  });

  test("listVisibleTo counts participants per room", async () => {
    const busy = await fx.repos.rooms.create({ name: "busy", isPublic: true, createdBy: owner.id });
    const quiet = await fx.repos.rooms.create({ name: "quiet", isPublic: true, createdBy: owner.id });
    const third = await makeUser(fx.repos, "Third");
    await fx.repos.rooms.addParticipant(busy.id, other.id);
    await fx.repos.rooms.addParticipant(busy.id, third.id);
    await fx.database.db.execute(sql`delete from room_participants where room_id = ${quiet.id}`);

    const counts = Object.fromEntries((await fx.repos.rooms.listVisibleTo(owner.id)).map((r) => [r.name, r.participantCount]));
    expect(counts).toEqual({ busy: 3, quiet: 0 });
  });

  test("participants lists users with their room role, earliest first", async () => {
    const room = await fx.repos.rooms.create({ name: "r", isPublic: true, createdBy: owner.id });
    await fx.repos.rooms.addParticipant(room.id, other.id);
    const list = await fx.repos.rooms.participants(room.id);
    expect(list.map((p) => [p.user.firstName, p.role])).toEqual([
      ["Owner", "admin"],
      ["Other", "member"],
    ]);
    expect(list[0]?.user).toEqual({ id: owner.id, firstName: "Owner", lastName: "Tester", avatar: null, role: "student" });
    expect(list[1]?.joinedAt).toBeInstanceOf(Date);
    expect(await fx.repos.rooms.participants(UNKNOWN_UUID)).toEqual([]);
    expect(await fx.repos.rooms.participants("bad")).toEqual([]);
  });

  test("addParticipant is idempotent and never changes an existing role", async () => {
    const room = await fx.repos.rooms.create({ name: "r", isPublic: true, createdBy: owner.id });
    expect(await fx.repos.rooms.addParticipant(room.id, other.id)).toBe(true);
    expect(await fx.repos.rooms.addParticipant(room.id, other.id)).toBe(false);
    expect(await fx.repos.rooms.addParticipant(room.id, owner.id, "member")).toBe(false);
    expect((await fx.repos.rooms.getParticipant(room.id, owner.id))?.role).toBe("admin");
    expect(await count("room_participants")).toBe(2);
  });

  test("concurrent joins of the same user insert one row", async () => {
    const room = await fx.repos.rooms.create({ name: "r", isPublic: true, createdBy: owner.id });
    const results = await Promise.all([1, 2, 3].map(() => fx.repos.rooms.addParticipant(room.id, other.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await count("room_participants")).toBe(2);
  });

  test("getParticipant: unknown and malformed ids have no membership", async () => {
    expect(await fx.repos.rooms.getParticipant(UNKNOWN_UUID, other.id)).toBeUndefined();
    expect(await fx.repos.rooms.getParticipant("bad", "worse")).toBeUndefined();
  });
});
