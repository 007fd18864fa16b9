import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/database.ts";
import { pgErrorOf } from "../../src/db/repositories/pg-error.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser, UNKNOWN_UUID, type Fixture } from "./fixtures.ts";

let fx: Fixture;
beforeEach(async () => {
  fx = await freshFixture();
});

const base = { passwordHash: "$argon2id$hash", firstName: "Grace", lastName: "Hopper" };

describe(`users repository (${testDriver})`, () => {
  test("create normalizes the email and fills defaults", async () => {
    const result = await fx.repos.users.create({ ...base, email: "  Grace.Hopper@Example.COM " });
    if (!result.ok) throw new Error(result.reason);
    const { user } = result;
    expect(user.email).toBe("grace.hopper@example.com");
    expect(user.role).toBe("student");
    expect(user.avatar).toBeNull();
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(user.updatedAt).toBeInstanceOf(Date);
    // The generic shape never carries the hash.
    expect(Object.keys(user)).not.toContain("passwordHash");
  });

  test("create keeps role and avatar when given", async () => {
    const result = await fx.repos.users.create({ ...base, email: "t@example.com", role: "tutor", avatar: "a.png" });
    expect(result.ok && result.user.role).toBe("tutor");
    expect(result.ok && result.user.avatar).toBe("a.png");
  });

  test("a duplicate email, in any case and padding, is a result and stores nothing", async () => {
    const first = await fx.repos.users.create({ ...base, email: "dup@example.com" });
    expect(first.ok).toBe(true);
    const second = await fx.repos.users.create({ ...base, email: " DUP@Example.com" });
    expect(second).toEqual({ ok: false, reason: "duplicate_email" });
    const rows = rowsOf<{ n: number }>(await fx.database.db.execute(sql`select count(*)::int as n from users`));
    expect(rows[0]?.n).toBe(1);
  });

  test("concurrent registrations of one email: exactly one wins", async () => {
    const results = await Promise.all(
      ["race@example.com", "RACE@example.com", "Race@Example.com"].map((email) => fx.repos.users.create({ ...base, email })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "duplicate_email")).toHaveLength(2);
  });

  test("other insert failures are not mistaken for duplicates", async () => {
    // The role check constraint is bypassed in the type system on purpose, to provoke a 23514.
    const role = "superuser" as unknown as "student";
    const error = await fx.repos.users.create({ ...base, email: "bad@example.com", role }).catch((e: unknown) => e);
    expect(pgErrorOf(error)?.code).toBe("23514");
  });

  test("findById: found, unknown, and malformed ids", async () => {
    const created = await fx.repos.users.create({ ...base, email: "id@example.com" });
    if (!created.ok) throw new Error(created.reason);
    expect(await fx.repos.users.findById(created.user.id)).toEqual(created.user);
    expect(await fx.repos.users.findById(created.user.id.toUpperCase())).toEqual(created.user);
    expect(await fx.repos.users.findById(UNKNOWN_UUID)).toBeUndefined();
    for (const bad of ["", "not-a-uuid", "123", `${created.user.id}x`, "'; drop table users; --"]) {
      expect(await fx.repos.users.findById(bad)).toBeUndefined();
    }
  });

  test("findByEmail normalizes and returns the password hash for login", async () => {
    const created = await fx.repos.users.create({ ...base, email: "login@example.com" });
    if (!created.ok) throw new Error(created.reason);
    const found = await fx.repos.users.findByEmail("  LOGIN@example.com");
    expect(found).toEqual({ ...created.user, passwordHash: base.passwordHash });
    expect(await fx.repos.users.findByEmail("nobody@example.com")).toBeUndefined();
  });

  test("findManyByIds keeps the given order, skips unknown and malformed ids, dedupes", async () => {
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const r = await fx.repos.users.create({ ...base, email: `${name}@example.com`, firstName: name });
      if (!r.ok) throw new Error(r.reason);
      ids.push(r.user.id);
    }
    const [a, b, c] = ids as [string, string, string];
    const found = await fx.repos.users.findManyByIds([c, "junk", a, UNKNOWN_UUID, c, b.toUpperCase()]);
    expect(found.map((u) => u.firstName)).toEqual(["c", "a", "b"]);
    expect(await fx.repos.users.findManyByIds([])).toEqual([]);
    expect(await fx.repos.users.findManyByIds(["junk"])).toEqual([]);
  });
});

describe(`users repository: lookups by id made at once (${testDriver})`, () => {
  test("each gets its own user (or nothing), whatever else is looked up with it", async () => {
    const ada = await makeUser(fx.repos, "Ada");
    const bob = await makeUser(fx.repos, "Bob");
    const found = await Promise.all([
      fx.repos.users.findById(ada.id),
      fx.repos.users.findById(bob.id.toUpperCase()),
      fx.repos.users.findById(UNKNOWN_UUID),
      fx.repos.users.findById("not-a-uuid"),
      fx.repos.users.findById(ada.id),
    ]);
    expect(found).toEqual([ada, bob, undefined, undefined, ada]);
  });
});
