import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/database.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser, UNKNOWN_UUID, type Fixture } from "./fixtures.ts";
import { rejectionOf } from "../support/promises.ts";

let fx: Fixture;
beforeEach(async () => {
  fx = await freshFixture();
});

const t0 = new Date("2026-01-01T10:00:00.000Z");
const later = (ms: number) => new Date(t0.getTime() + ms);

async function presenceRows(): Promise<number> {
  const rows = rowsOf<{ n: number }>(await fx.database.db.execute(sql`select count(*)::int as n from user_presence`));
  return rows[0]?.n ?? -1;
}

describe(`presence repository (${testDriver})`, () => {
  test("a user with no presence row has none", async () => {
    const user = await makeUser(fx.repos);
    expect(await fx.repos.presence.get(user.id)).toBeUndefined();
    expect(await fx.repos.presence.get(UNKNOWN_UUID)).toBeUndefined();
    expect(await fx.repos.presence.get("not-a-uuid")).toBeUndefined();
  });

  test("setStatus inserts, then updates the same row", async () => {
    const user = await makeUser(fx.repos);
    expect(await fx.repos.presence.setStatus(user.id, "online", t0)).toBe(true);
    expect(await fx.repos.presence.get(user.id)).toEqual({ status: "online", lastActivity: t0 });
    expect(await fx.repos.presence.setStatus(user.id, "offline", later(1000))).toBe(true);
    expect(await fx.repos.presence.get(user.id)).toEqual({ status: "offline", lastActivity: later(1000) });
    expect(await presenceRows()).toBe(1);
  });

  test("an older observation does not overwrite a newer one", async () => {
    const user = await makeUser(fx.repos);
    await fx.repos.presence.setStatus(user.id, "online", later(5000));
    expect(await fx.repos.presence.setStatus(user.id, "offline", t0)).toBe(false);
    expect(await fx.repos.presence.get(user.id)).toEqual({ status: "online", lastActivity: later(5000) });
    // Same instant: the later call wins, so a reconnect in the same millisecond still lands.
    expect(await fx.repos.presence.setStatus(user.id, "offline", later(5000))).toBe(true);
    expect((await fx.repos.presence.get(user.id))?.status).toBe("offline");
  });

  test("changes made at once share statements: one user twice goes in order, a bad row fails alone", async () => {
    const ada = await makeUser(fx.repos, "Ada");
    const bob = await makeUser(fx.repos, "Bob");
    const results = await Promise.allSettled([
      fx.repos.presence.setStatus(ada.id, "online", later(1)),
      fx.repos.presence.setStatus(bob.id, "online", later(1)),
      fx.repos.presence.setStatus(UNKNOWN_UUID, "online", later(1)),
      fx.repos.presence.setStatus(ada.id, "offline", later(2)),
      fx.repos.presence.setStatus(ada.id, "online", later(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(await fx.repos.presence.get(ada.id)).toEqual({ status: "online", lastActivity: later(3) });
    expect(await fx.repos.presence.get(bob.id)).toEqual({ status: "online", lastActivity: later(1) });
    expect(await presenceRows()).toBe(2);
  });

  test("presence for a user that does not exist is an error, not a silent row", async () => {
    expect(await rejectionOf(fx.repos.presence.setStatus(UNKNOWN_UUID, "online", t0))).toBeInstanceOf(Error);
    expect(await presenceRows()).toBe(0);
  });

  test("markOfflineExcept leaves the users some node counts, and those observed online since", async () => {
    const [counted, stale, fresh, away] = [await makeUser(fx.repos), await makeUser(fx.repos), await makeUser(fx.repos), await makeUser(fx.repos)];
    await fx.repos.presence.setStatus(counted.id, "online", t0);
    await fx.repos.presence.setStatus(stale.id, "online", t0);
    await fx.repos.presence.setStatus(fresh.id, "online", later(2000));
    await fx.repos.presence.setStatus(away.id, "offline", t0);
    expect(await fx.repos.presence.markOfflineExcept([counted.id, "not-a-uuid"], later(1000))).toBe(1);
    expect((await fx.repos.presence.get(counted.id))?.status).toBe("online");
    expect(await fx.repos.presence.get(stale.id)).toEqual({ status: "offline", lastActivity: t0 });
    expect((await fx.repos.presence.get(fresh.id))?.status).toBe("online");
    expect((await fx.repos.presence.get(away.id))?.status).toBe("offline");
    // Nobody counted anywhere: every online row observed before the instant.
    expect(await fx.repos.presence.markOfflineExcept([], later(3000))).toBe(2);
  });
});
