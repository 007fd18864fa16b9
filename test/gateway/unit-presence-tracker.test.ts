// Connection counting for presence (src/chat/presence-tracker.ts): online on the first connection,
// offline only when the last one closes, and transitions serialized per user even when the store's
// writes finish out of order.
import { describe, expect, test } from "bun:test";
import { createPresenceTracker } from "../../src/chat/presence-tracker.ts";
import type { PresenceStatus } from "../../src/chat/types.ts";

type Write = { userId: string; status: PresenceStatus; finish: () => void; fail: (error: Error) => void };

/** A tracker whose writes wait until the test finishes them; every record/announce is logged in order. */
function setup() {
  const log: string[] = [];
  const writes: Write[] = [];
  const errors: unknown[] = [];
  const tracker = createPresenceTracker({
    record: (userId, status) =>
      new Promise<void>((resolve, reject) => {
        log.push(`record ${userId} ${status}`);
        writes.push({
          userId,
          status,
          finish: () => {
            log.push(`stored ${userId} ${status}`);
            resolve();
          },
          fail: reject,
        });
      }),
    announce: (userId, status) => void log.push(`announce ${userId} ${status}`),
    onError: (error) => void errors.push(error),
  });
  return { tracker, log, writes, errors };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("presence tracker", () => {
  test("first connection: online is recorded, then announced", async () => {
    const { tracker, log, writes } = setup();
    const done = tracker.connected("u1");
    await tick();
    expect(log).toEqual(["record u1 online"]);
    writes[0]?.finish();
    await done;
    expect(log).toEqual(["record u1 online", "stored u1 online", "announce u1 online"]);
    expect(tracker.connectionsOf("u1")).toBe(1);
  });

  test("two tabs: one online, and closing one of them changes nothing; the last close goes offline", async () => {
    const { tracker, log, writes } = setup();
    const first = tracker.connected("u1");
    await tracker.connected("u1");
    await tick();
    writes[0]?.finish();
    await first;
    await tracker.disconnected("u1");
    expect(log).toEqual(["record u1 online", "stored u1 online", "announce u1 online"]);
    expect(tracker.connectionsOf("u1")).toBe(1);
    const last = tracker.disconnected("u1");
    await tick();
    writes[1]?.finish();
    await last;
    expect(log.slice(3)).toEqual(["record u1 offline", "stored u1 offline", "announce u1 offline"]);
    expect(tracker.connectionsOf("u1")).toBe(0);
  });

  test("connect, disconnect, connect while writes are slow: the writes run one at a time in order and end online", async () => {
    const { tracker, log, writes } = setup();
    const steps = [tracker.connected("u1"), tracker.disconnected("u1"), tracker.connected("u1")];
    await tick();
    // Only the first write has started: the others wait for it.
    expect(writes.map((w) => w.status)).toEqual(["online"]);
    writes[0]?.finish();
    await tick();
    expect(writes.map((w) => w.status)).toEqual(["online", "offline"]);
    writes[1]?.finish();
    await tick();
    writes[2]?.finish();
    await Promise.all(steps);
    expect(log.filter((line) => line.startsWith("announce"))).toEqual(["announce u1 online", "announce u1 offline", "announce u1 online"]);
    expect(log.filter((line) => line.startsWith("stored"))).toEqual(["stored u1 online", "stored u1 offline", "stored u1 online"]);
    expect(tracker.connectionsOf("u1")).toBe(1);
  });

  test("users do not wait for each other", async () => {
    const { tracker, writes } = setup();
    void tracker.connected("u1");
    const other = tracker.connected("u2");
    await tick();
    expect(writes.map((w) => w.userId)).toEqual(["u1", "u2"]);
    writes[1]?.finish();
    await other;
  });

  test("a failed write is reported and still announced; the next transition is not blocked", async () => {
    const { tracker, log, writes, errors } = setup();
    const online = tracker.connected("u1");
    await tick();
    writes[0]?.fail(new Error("database down"));
    await online;
    expect(errors).toEqual([new Error("database down")]);
    expect(log).toEqual(["record u1 online", "announce u1 online"]);
    const offline = tracker.disconnected("u1");
    await tick();
    writes[1]?.finish();
    await offline;
    expect(log.at(-1)).toBe("announce u1 offline");
  });

  test("an unbalanced disconnect changes nothing", async () => {
    const { tracker, log } = setup();
    await tracker.disconnected("u1");
    expect(log).toEqual([]);
    expect(tracker.connectionsOf("u1")).toBe(0);
  });

  test("idle() waits for every queued transition", async () => {
    const { tracker, writes } = setup();
    void tracker.connected("u1");
    void tracker.disconnected("u1");
    let idle = false;
    const waiting = tracker.idle().then(() => {
      idle = true;
    });
    await tick();
    writes[0]?.finish();
    await tick();
    expect(idle).toBe(false);
    writes[1]?.finish();
    await waiting;
    expect(idle).toBe(true);
  });
});

/**
 * The tracker over a cluster: `others` is what the other nodes count per user; the port answers the
 * totals before/after this node's count as the Redis implementation does (test/cluster covers that
 * one against Redis), or fails while `down`.
 */
function clusterSetup(others: Record<string, number> = {}) {
  const log: string[] = [];
  const errors: unknown[] = [];
  const mine = new Map<string, number>();
  const cluster = {
    down: false,
    instant: 0,
    async set(userId: string, connections: number) {
      if (cluster.down) throw new Error("bus down");
      const before = (others[userId] ?? 0) + (mine.get(userId) ?? 0);
      mine.set(userId, connections);
      return { before, after: (others[userId] ?? 0) + connections, at: new Date(++cluster.instant) };
    },
  };
  const tracker = createPresenceTracker({
    record: async (userId, status, at) => void log.push(`record ${userId} ${status} at ${at?.getTime()}`),
    announce: (userId, status) => void log.push(`announce ${userId} ${status}`),
    onError: (error) => void errors.push(error),
    cluster,
  });
  return { tracker, log, errors, cluster };
}

describe("presence tracker over a cluster", () => {
  test("the cluster's totals decide, and the change is recorded at the cluster's instant", async () => {
    const { tracker, log } = clusterSetup();
    await tracker.connected("u1");
    await tracker.connected("u1");
    await tracker.disconnected("u1");
    expect(log).toEqual(["record u1 online at 1", "announce u1 online"]);
    await tracker.disconnected("u1");
    expect(log.slice(2)).toEqual(["record u1 offline at 4", "announce u1 offline"]);
  });

  test("a user connected on another node: this node's first and last sockets are no news", async () => {
    const { tracker, log } = clusterSetup({ u1: 1 });
    await tracker.connected("u1");
    await tracker.disconnected("u1");
    expect(log).toEqual([]);
    expect(tracker.snapshot()).toEqual(new Map());
  });

  test("with the bus down this node decides alone and remembers whom it guessed for the resync", async () => {
    const { tracker, log, errors, cluster } = clusterSetup({ u1: 1 });
    cluster.down = true;
    await tracker.connected("u1");
    expect(log).toEqual(["record u1 online at undefined", "announce u1 online"]);
    expect(errors).toEqual([new Error("bus down")]);
    expect(tracker.snapshot()).toEqual(new Map([["u1", 1]]));
    expect(tracker.takeGuessed()).toEqual(["u1"]);
    expect(tracker.takeGuessed()).toEqual([]);
    // What the cluster settled elsewhere is recorded and announced in the user's turn.
    await tracker.observed("u1", "offline", new Date(7));
    expect(log.slice(2)).toEqual(["record u1 offline at 7", "announce u1 offline"]);
  });
});
