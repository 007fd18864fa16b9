// The shared heartbeat lane (src/engine/heartbeat-lane.ts): members end their waits in the order
// they started them, a restart moves a member to the end, and an emptied lane holds no timer.
import { describe, expect, test } from "bun:test";
import { HeartbeatLane } from "../../src/engine/heartbeat-lane.ts";

/** A lane of `delayMs` whose ended waits are recorded; `next(n)` resolves once n more have ended. */
function recordingLane(delayMs: number) {
  const ended: { member: string; at: number }[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  const lane: HeartbeatLane<string> = new HeartbeatLane<string>(delayMs, (member) => {
    ended.push({ member, at: performance.now() });
    if (waiter && ended.length >= waiter.count) waiter.resolve();
  });
  const next = (n: number) =>
    new Promise<void>((resolve) => {
      waiter = { count: ended.length + n, resolve };
      if (ended.length >= waiter.count) resolve();
    });
  return { lane, ended, next };
}

describe("heartbeat lane", () => {
  test("waits end in start order, each no earlier than delayMs after it started", async () => {
    const { lane, ended, next } = recordingLane(40);
    const started = new Map<string, number>();
    for (const member of ["a", "b", "c"]) {
      started.set(member, performance.now());
      lane.add(member);
    }
    await next(3);
    expect(ended.map((e) => e.member)).toEqual(["a", "b", "c"]);
    for (const { member, at } of ended) expect(at - (started.get(member) ?? 0)).toBeGreaterThanOrEqual(39);
    expect(lane.size).toBe(0);
  });

  test("adding a member again restarts its wait and moves it behind the others", async () => {
    const { lane, ended, next } = recordingLane(30);
    lane.add("a");
    lane.add("b");
    lane.add("a");
    expect(lane.size).toBe(2);
    await next(2);
    expect(ended.map((e) => e.member)).toEqual(["b", "a"]);
  });

  test("a deleted member's wait never ends; a member added from onDue waits a full delay again", async () => {
    const ended: string[] = [];
    let again = true;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const lane: HeartbeatLane<string> = new HeartbeatLane<string>(20, (member) => {
      ended.push(member);
      if (member === "a" && again) {
        again = false;
        lane.add("a");
      } else if (member === "a") done();
    });
    lane.add("gone");
    lane.add("a");
    lane.delete("gone");
    await finished;
    expect(ended).toEqual(["a", "a"]);
    expect(lane.size).toBe(0);
  });

  test("deleting the last member clears the timer: nothing ends after", async () => {
    const { lane, ended, next } = recordingLane(20);
    lane.add("x");
    lane.delete("x");
    lane.delete("x");
    // A later member's end is the sentinel: had x's wait gone on, it would have ended first.
    lane.add("sentinel");
    await next(1);
    expect(ended.map((e) => e.member)).toEqual(["sentinel"]);
  });
});
