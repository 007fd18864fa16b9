// Start-up timing for the debug log ("start-up: <phase> atMs=<ms since the process started>"), which
// `bun run bench:startup` reads. Threads have their own clocks: they exchange epoch times (epochNow).
export type StartupPhase = { phase: string; at: number };

/** Now, in epoch milliseconds with sub-millisecond precision: comparable across threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** `epochMs` as milliseconds since this process started (the main thread's time origin). */
export function sinceProcessStart(epochMs: number): number {
  return Math.round(epochMs - performance.timeOrigin);
}
