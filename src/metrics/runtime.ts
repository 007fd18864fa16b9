// Process figures (memory, uptime) read at scrape time, and event-loop lag sampled by one timer
// that never keeps the process alive: how late a timer fires is how long the loop was busy.
import type { Registry } from "./registry.ts";

const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function registerProcessMetrics(registry: Registry, prefix: string): void {
  registry.gauge(`${prefix}process_resident_memory_bytes`, "Resident set size of the process.", [], (set) => set(process.memoryUsage.rss()));
  registry.gauge(`${prefix}process_heap_bytes`, "JavaScript heap: used and total (allocated) bytes.", ["kind"], (set) => {
    const memory = process.memoryUsage();
    set(memory.heapUsed, "used");
    set(memory.heapTotal, "total");
  });
  registry.gauge(`${prefix}process_uptime_seconds`, "Seconds since the process started.", [], (set) => set(process.uptime()));
}

export type LagSampler = { stop(): void };

/**
 * Every `intervalMs` a timer is due; the time it fires past that is the loop's lag, observed into a
 * histogram. The timer is unref'd: a process with nothing else to do exits as if it were not there.
 */
export function startEventLoopLagSampler(registry: Registry, prefix: string, intervalMs: number): LagSampler {
  const lag = registry.histogram(`${prefix}event_loop_lag_seconds`, `How late a timer due every ${intervalMs} ms fired: the event loop's lag.`, LAG_BUCKETS);
  let due = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lag.observe(Math.max(0, now - due) / 1000);
    due = now + intervalMs;
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
