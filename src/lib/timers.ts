// Clocks behind the Timers port (src/chat/ports.ts): the real one, and a manual one that only moves
// when told (tests). setTimeout cannot wait longer than 2^31-1 ms; longer delays are the caller's to re-arm.
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const systemTimers = {
  now: (): number => Date.now(),
  schedule(task: () => void, delayMs: number): () => void {
    const timer = setTimeout(task, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    return () => clearTimeout(timer);
  },
};

export type ManualTimers = typeof systemTimers & {
  /** Moves the clock forward, running every task that falls due, in due order. */
  advance(ms: number): void;
  /** Tasks scheduled and not yet run or cancelled. */
  readonly pending: number;
};

export function manualTimers(start = 0): ManualTimers {
  let now = start;
  let nextId = 0;
  const tasks = new Map<number, { at: number; task: () => void }>();
  return {
    now: () => now,
    schedule(task, delayMs) {
      const id = nextId++;
      tasks.set(id, { at: now + Math.max(0, delayMs), task });
      return () => void tasks.delete(id);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        // Earliest due first; ties in scheduling order (Map order), as setTimeout does.
        let due: [number, { at: number; task: () => void }] | undefined;
        for (const entry of tasks) if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
        if (!due) break;
        tasks.delete(due[0]);
        now = due[1].at;
        due[1].task();
      }
      now = target;
    },
    get pending() {
      return tasks.size;
    },
  };
}
