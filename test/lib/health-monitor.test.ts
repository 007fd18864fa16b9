// The background health monitor: up until a probe fails, a probe slower than its timeout fails,
// changes are reported once each, and concurrent checks share one probe.
import { describe, expect, test } from "bun:test";
import { createHealthMonitor, type Health } from "../../src/lib/health-monitor.ts";

describe("createHealthMonitor", () => {
  test("reports each change between up and down once, with the failure's reason", async () => {
    let failing: Error | undefined;
    const changes: [boolean, boolean][] = [];
    const monitor = createHealthMonitor({
      probe: async () => {
        if (failing) throw failing;
      },
      intervalMs: 60_000,
      timeoutMs: 1000,
      onChange: (current, previous) => void changes.push([previous.up, current.up]),
    });
    expect(monitor.current().up).toBe(true);
    expect((await monitor.check()).up).toBe(true);
    failing = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const down = await monitor.check();
    expect(down).toMatchObject({ up: false, reason: "connect ECONNREFUSED 127.0.0.1:5432" });
    await monitor.check();
    failing = undefined;
    expect((await monitor.check()).up).toBe(true);
    expect(changes).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  test("a probe slower than the timeout counts as failed; checks made meanwhile share it", async () => {
    let probes = 0;
    const monitor = createHealthMonitor({ probe: () => (probes++, new Promise(() => {})), intervalMs: 60_000, timeoutMs: 30 });
    const [a, b] = await Promise.all([monitor.check(), monitor.check()]);
    expect(probes).toBe(1);
    expect(a.up).toBe(false);
    expect(b).toBe(a);
  });

  test("probes in the background once started, and stops", async () => {
    let probes = 0;
    const monitor = createHealthMonitor({ probe: async () => void probes++, intervalMs: 10, timeoutMs: 100 });
    monitor.start();
    const deadline = performance.now() + 2000;
    while (probes < 3 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    monitor.stop();
    expect(probes).toBeGreaterThanOrEqual(3);
    const seen: Health = monitor.current();
    expect(seen.up).toBe(true);
  });
});
