// Recording presence: a user's status as the realtime edge observes it, stamped with the time of
// the observation (the store keeps the newest one, so a late write cannot undo a newer status).
import type { PresenceStore } from "./ports.ts";
import type { PresenceStatus } from "./types.ts";

export type Presence = ReturnType<typeof createPresence>;

export function createPresence({ presence, now = () => new Date() }: { presence: PresenceStore; now?: () => Date }) {
  return {
    /** `at`: when the change happened, if the caller knows better than this clock (the cluster's order). */
    async record(userId: string, status: PresenceStatus, at: Date = now()): Promise<void> {
      await presence.setStatus(userId, status, at);
    },
  };
}
