// What a store of per-node presence counts must do (src/cluster/presence-store.ts), run against a
// real Redis and a real Postgres: totals across nodes, absolute counts, instants in order,
// re-registering, heartbeats and reaping. `nodes` gives two nodes of a cluster of their own.
import { expect, test } from "bun:test";
import type { ClusterPresenceStore } from "../../src/cluster/presence-store.ts";

export type TwoStores = (timeoutMs?: number) => Promise<readonly [ClusterPresenceStore, ClusterPresenceStore]>;

export function presenceStoreScenarios(nodes: TwoStores): void {
  test("a user's total sums the live nodes; counts are absolute, so a repeat changes nothing", async () => {
    const [a, b] = await nodes();
    await a.register(new Map(), []);
    await b.register(new Map(), []);
    const first = await a.set("u1", 1);
    expect(first).toMatchObject({ before: 0, after: 1 });
    expect(await a.set("u1", 1)).toMatchObject({ before: 1, after: 1 });
    const second = await b.set("u1", 2);
    expect(second).toMatchObject({ before: 1, after: 3 });
    expect(second?.at.getTime()).toBeGreaterThan(first?.at.getTime() ?? Infinity);
    expect(await a.set("u1", 0)).toMatchObject({ before: 3, after: 2 });
    expect(await b.set("u1", 0)).toMatchObject({ before: 2, after: 0 });
    expect((await a.online()).users).toEqual([]);
  });

  test("an unregistered node is told so, and registering reports whose totals moved", async () => {
    const [a, b] = await nodes();
    expect(await a.set("u1", 1)).toBeUndefined();
    await b.register(new Map([["u2", 1]]), []);
    const registered = await a.register(new Map([["u1", 2], ["u2", 1]]), ["u3"]);
    expect(registered.users.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
      { userId: "u1", before: 0, after: 2 },
      { userId: "u2", before: 1, after: 2 },
      { userId: "u3", before: 0, after: 0 },
    ]);
    // Registering again replaces: u1 went away meanwhile.
    const again = await a.register(new Map([["u2", 1]]), []);
    expect(again.users.find((u) => u.userId === "u1")).toEqual({ userId: "u1", before: 2, after: 0 });
    expect((await b.online()).users.sort()).toEqual(["u2"]);
  });

  test("a node whose heartbeat is older than the timeout is reaped once; its users no one else counts go offline", async () => {
    const [a, b] = await nodes(1);
    await a.register(new Map([["only-a", 1], ["both", 1]]), []);
    await b.register(new Map([["both", 1]]), []);
    // The timeout is 1 ms and the cluster's instants strictly increase: b's steps leave a's
    // heartbeat behind at once (b never reaps itself).
    expect(await b.heartbeat()).toBe(true);
    const reaped = await b.reap();
    expect(reaped.offline).toEqual(["only-a"]);
    expect((await b.reap()).offline).toEqual([]);
    // The reaped node learns it on its next heartbeat or set.
    expect(await a.heartbeat()).toBe(false);
    expect(await a.set("only-a", 1)).toBeUndefined();
    expect((await b.online()).users).toEqual(["both"]);
  });
  test("changes at the same moment on two nodes are serialized: a user comes online once, each change at an instant of its own", async () => {
    const [a, b] = await nodes();
    await a.register(new Map(), []);
    await b.register(new Map(), []);
    const changes = await Promise.all([a.set("u1", 1), b.set("u1", 1), a.set("u2", 1), b.set("u2", 2)]);
    // Per user, one change goes from 0 and the other starts where it ended, whichever came first.
    for (const [one, other, total] of [[changes[0], changes[1], 2], [changes[2], changes[3], 3]] as const) {
      const [first, second] = one?.before === 0 ? [one, other] : [other, one];
      expect(first?.before).toBe(0);
      expect(second?.before).toBe(first?.after ?? -1);
      expect(second?.after).toBe(total);
    }
    const instants = changes.map((c) => c?.at.getTime());
    expect(new Set(instants).size).toBe(4);
  });
}
