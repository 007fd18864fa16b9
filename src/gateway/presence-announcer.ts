// user:status announcements leave in windows: a window closes once changes stop arriving for a moment
// (a class connecting at 9:00 is one window), at the latest after a bound. Its changes leave in one
// event-loop turn, so each receiving socket is written once, and after the burst's handshakes.
import type { Timers } from "../chat/ports.ts";
import type { PresenceStatus } from "../chat/types.ts";
import { userChannel } from "./channels.ts";
import type { GatewayServer } from "./types.ts";

/**
 * A window closes after this long without a new change. Each change reaches every socket online, so
 * a burst of n arrivals is n² frames: sent while the burst lasts they compete with its handshakes
 * for the clients' CPU (the stock client spends more on 500 × 500 frames than on 500 handshakes).
 * Gaps between arrivals of one burst were up to ~40 ms on a busy client; a person does not notice
 * a status dot 50 ms late.
 */
export const PRESENCE_QUIET_MS = 50;
/** ...and at the latest this long after its first change, however long the burst lasts... */
export const PRESENCE_MAX_WAIT_MS = 1000;
/**
 * ...or as soon as its changes make this many frames (changes × sockets online): what one flush may
 * queue for slow readers stays bounded (~80 B a frame). 500 users arriving at once fit in one window;
 * with 5 000 online a window holds 100 changes.
 */
export const PRESENCE_WINDOW_FRAMES = 500_000;

export type PresenceAnnouncer = {
  /** Queues the announcement; it goes out, in queue order, when the window closes. */
  announce(userId: string, status: PresenceStatus): void;
  /** Sends what is queued now (shutdown). */
  flush(): void;
};

export type PresenceWindow = { quietMs: number; maxWaitMs: number; windowFrames: number };

export function createPresenceAnnouncer(
  io: GatewayServer,
  timers: Timers,
  { quietMs, maxWaitMs, windowFrames }: PresenceWindow = { quietMs: PRESENCE_QUIET_MS, maxWaitMs: PRESENCE_MAX_WAIT_MS, windowFrames: PRESENCE_WINDOW_FRAMES },
): PresenceAnnouncer {
  let queued: { userId: string; status: PresenceStatus }[] = [];
  let cancel: (() => void) | undefined;
  let openedAt = 0;
  let lastAt = 0;

  const flush = (): void => {
    cancel?.();
    cancel = undefined;
    const batch = queued;
    queued = [];
    // "To others": every socket but the user's own (a topic publish from the user's only socket).
    for (const { userId, status } of batch) io.except(userChannel(userId)).emit("user:status", { userId, status });
  };

  // One timer per window: when it fires early (changes kept arriving) it waits for the rest.
  const check = (): void => {
    const now = timers.now();
    const closeAt = Math.min(lastAt + quietMs, openedAt + maxWaitMs);
    if (now >= closeAt) flush();
    else cancel = timers.schedule(check, closeAt - now);
  };

  return {
    announce(userId, status) {
      queued.push({ userId, status });
      lastAt = timers.now();
      if (queued.length * io.sockets.sockets.size >= windowFrames) return flush();
      if (cancel) return;
      openedAt = lastAt;
      cancel = timers.schedule(check, quietMs);
    },
    flush,
  };
}
