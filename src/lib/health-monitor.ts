// The last known health of a dependency (the database), kept by probing it in the background, so
// callers read it at once (/readyz; failing fast during an outage) instead of waiting on the
// dependency itself, which may not answer at all.
import { describeError } from "./error-cause.ts";
import { withDeadline } from "./deadline.ts";

export type Health = { up: true; since: number } | { up: false; since: number; reason: string };

export type HealthMonitorOptions = {
  /** Rejects when the dependency cannot answer; `timeoutMs` is the time it is given. */
  probe(timeoutMs: number): Promise<void>;
  /** Time between the end of a probe and the start of the next one. */
  intervalMs: number;
  /** A probe that takes longer counts as failed. */
  timeoutMs: number;
  /** Called on every change between up and down. */
  onChange?(current: Health, previous: Health): void;
};

export type HealthMonitor = {
  current(): Health;
  /** Probes now, or joins the probe running; answers the health it found. */
  check(): Promise<Health>;
  /** Starts the background probes (the first after one interval: the caller has just used the dependency). */
  start(): void;
  /** Stops probing for good: a probe still running (its dependency being closed after this) reports nothing. */
  stop(): void;
};

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  let state: Health = { up: true, since: Date.now() };
  let running: Promise<Health> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  let stopped = false;

  const update = (next: Health): void => {
    // A probe that ended after stop() was most likely cut short by the close that followed it: no outage.
    if (stopped) return;
    const previous = state;
    if (previous.up === next.up) {
      // Still down: keep when it went down, with the latest reason.
      if (!previous.up && !next.up) state = { up: false, since: previous.since, reason: next.reason };
      return;
    }
    state = next;
    options.onChange?.(next, previous);
  };

  const check = (): Promise<Health> => {
    running ??= (async () => {
      try {
        await withDeadline(options.probe(options.timeoutMs), options.timeoutMs);
        update({ up: true, since: Date.now() });
      } catch (error) {
        update({ up: false, since: Date.now(), reason: describeError(error) });
      }
      running = undefined;
      return state;
    })();
    return running;
  };

  const schedule = (): void => {
    if (!started) return;
    timer = setTimeout(() => void check().then(schedule), options.intervalMs);
    // Probing alone never keeps the process alive.
    timer.unref();
  };

  return {
    current: () => state,
    check,
    start() {
      if (started || stopped) return;
      started = true;
      schedule();
    },
    stop() {
      started = false;
      stopped = true;
      clearTimeout(timer);
    },
  };
}
