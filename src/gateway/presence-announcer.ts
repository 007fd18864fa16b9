// user:status announcements leave in short windows: every status change of one window is emitted in
// the same event-loop turn, and the WebSocket layer writes each receiving socket once per turn. With
// thousands online, a burst of arrivals (a class at 9:00) then costs one write per receiver per
// window instead of one per arrival: the frames are the same, the system calls far fewer.
import type { Timers } from "../chat/ports.ts";
import type { PresenceStatus } from "../chat/types.ts";
import { userChannel } from "./channels.ts";
import type { GatewayServer } from "./types.ts";

/** Long enough to gather a burst, short next to how fast a person notices a status dot change. */
export const PRESENCE_ANNOUNCE_WINDOW_MS = 10;

export type PresenceAnnouncer = {
  /** Queues the announcement; it goes out, in queue order, within the window. */
  announce(userId: string, status: PresenceStatus): void;
  /** Sends what is queued now (shutdown). */
  flush(): void;
};

export function createPresenceAnnouncer(io: GatewayServer, timers: Timers, windowMs = PRESENCE_ANNOUNCE_WINDOW_MS): PresenceAnnouncer {
  let queued: { userId: string; status: PresenceStatus }[] = [];
  let cancel: (() => void) | undefined;

  const flush = (): void => {
    cancel?.();
    cancel = undefined;
    const batch = queued;
    queued = [];
    // "To others": every socket but the user's own (a topic publish from the user's only socket).
    for (const { userId, status } of batch) io.except(userChannel(userId)).emit("user:status", { userId, status });
  };

  return {
    announce(userId, status) {
      queued.push({ userId, status });
      cancel ??= timers.schedule(flush, windowMs);
    },
    flush,
  };
}
