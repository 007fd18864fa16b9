// Keeps this node's part of cluster presence true: a heartbeat, reaping nodes whose heartbeat
// stopped (their users go offline, announced once, by whichever node reaps), and a resync of this
// node's counts whenever the store may have missed some (start, reconnect, being presumed dead, a
// failed call: Postgres tells no reconnect, so the next heartbeat that gets through resyncs).
import type { ClusterPresence } from "../chat/ports.ts";
import type { Timers } from "../chat/ports.ts";
import type { PresenceStatus } from "../chat/types.ts";
import type { ClusterPresenceStore } from "./presence-store.ts";

/** The tracker's side (src/chat/presence-tracker.ts). */
export type LocalPresence = {
  snapshot(): Map<string, number>;
  takeGuessed(): string[];
  observed(userId: string, status: PresenceStatus, at: Date): Promise<void>;
};

export type PresenceSyncOptions = {
  timers: Timers;
  heartbeatMs: number;
  onError(error: unknown, context: string): void;
};

export type PresenceSync = ReturnType<typeof createPresenceSync>;

export function createPresenceSync(store: ClusterPresenceStore, { timers, heartbeatMs, onError }: PresenceSyncOptions) {
  let local: LocalPresence | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let cancel: (() => void) | undefined;
  /** The heartbeat (and what it led to) while it runs: stop() waits for it before the goodbye. */
  let ticking: Promise<void> | undefined;
  let stopped = false;

  // Users whose status was guessed while the store was unreachable and whose truth is still to tell.
  let guesses = new Set<string>();
  // A call failed since the last resync: this node's counts in the store may be behind.
  let behind = false;

  async function resyncOnce(tracker: LocalPresence): Promise<void> {
    behind = false;
    for (const userId of tracker.takeGuessed()) guesses.add(userId);
    const asked = guesses;
    // A failure leaves the guesses for the next try.
    const result = await store.register(tracker.snapshot(), [...asked]).catch((error: unknown) => {
      behind = true;
      throw error;
    });
    guesses = new Set();
    const settled: Promise<void>[] = [];
    for (const { userId, before, after } of result.users) {
      if (asked.has(userId)) settled.push(tracker.observed(userId, after > 0 ? "online" : "offline", result.at));
      else if (before === 0 && after > 0) settled.push(tracker.observed(userId, "online", result.at));
      else if (before > 0 && after === 0) settled.push(tracker.observed(userId, "offline", result.at));
    }
    await Promise.all(settled);
  }

  /** Registers this node's real counts; calls during a run make one more run after it. Nothing once stopped. */
  function resync(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          if (local) await resyncOnce(local);
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /** One heartbeat, then reaping the dead. */
  async function tick(): Promise<void> {
    let registered: boolean;
    try {
      registered = await store.heartbeat();
    } catch (error) {
      behind = true;
      throw error;
    }
    if (stopped) return;
    if (!registered || behind) await resync();
    if (stopped) return;
    const { at, offline } = await store.reap();
    const tracker = local;
    if (tracker) await Promise.all(offline.map((userId) => tracker.observed(userId, "offline", at)));
  }

  function schedule(): void {
    if (stopped) return;
    cancel = timers.schedule(() => {
      ticking = tick()
        // After stop() its statements meet the bus being closed: that failure is the shutdown's own.
        .catch((error: unknown) => {
          if (!stopped) onError(error, "presence heartbeat");
        })
        .finally(() => {
          ticking = undefined;
          schedule();
        });
    }, heartbeatMs);
  }

  const port: ClusterPresence = {
    async set(userId, connections) {
      const change = await store.set(userId, connections).catch((error: unknown) => {
        behind = true;
        throw error;
      });
      // Presumed dead by another node: register again (after this turn of the user's queue).
      if (!change) void resync().catch((error: unknown) => onError(error, "presence resync"));
      return change;
    },
  };

  return {
    /** What the presence tracker asks (ClusterPresence). */
    port,
    /** Registers, reaps what dead nodes left, and starts the heartbeat. */
    async start(tracker: LocalPresence): Promise<void> {
      local = tracker;
      await resync();
      await tick();
      schedule();
    },
    /** Users some live node counts, and the store's clock when asked (start-up clearing). */
    online: () => store.online(),
    /** After a reconnect to the store: this node's counts again, and the truth for what it guessed. */
    resync(): void {
      if (!local || stopped) return;
      void resync().catch((error: unknown) => onError(error, "presence resync"));
    },
    /**
     * Stops the heartbeat; with `leave`, removes this node's entry (a graceful shutdown), once the
     * heartbeat or resync still running settled: finishing after the goodbye, it would register
     * this node again, and its statements would still be in flight when the bus is closed.
     */
    async stop(leave: boolean): Promise<void> {
      stopped = true;
      cancel?.();
      await Promise.all([ticking, running?.catch(() => {})]);
      if (leave) await store.leave();
    },
  };
}
