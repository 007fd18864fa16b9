// Who is online on this node: a user is online while at least one of their connections is open.
// The first connection records and announces "online", the last one to close "offline"; a user's
// transitions run one at a time, in the order the connections changed, so writes never race.
import { createKeyedSerialQueue } from "../lib/serial-queue.ts";
import type { PresenceStatus } from "./types.ts";

export type PresenceTrackerDeps = {
  /** Persists the status (chat.presence.record). */
  record(userId: string, status: PresenceStatus): Promise<void>;
  /** Tells the other users; called after `record`, also when recording failed. */
  announce(userId: string, status: PresenceStatus): void;
  onError(error: unknown, context: { userId: string; status: PresenceStatus }): void;
};

export type PresenceTracker = ReturnType<typeof createPresenceTracker>;

export function createPresenceTracker({ record, announce, onError }: PresenceTrackerDeps) {
  const connections = new Map<string, number>();
  const transitions = createKeyedSerialQueue();

  // The count changes at once (it decides first/last); the write and the announcement queue behind
  // the user's earlier ones, so connect-disconnect-connect ends online in the store and for clients.
  const transition = (userId: string, status: PresenceStatus): Promise<void> =>
    transitions.run(userId, async () => {
      try {
        await record(userId, status);
      } catch (error) {
        // Clients still hear the truth about the connection; the stored row catches up next time.
        onError(error, { userId, status });
      }
      try {
        announce(userId, status);
      } catch (error) {
        onError(error, { userId, status });
      }
    });

  return {
    /** A connection of `userId` opened; resolves once a resulting transition is recorded and announced. */
    connected(userId: string): Promise<void> {
      const count = (connections.get(userId) ?? 0) + 1;
      connections.set(userId, count);
      return count === 1 ? transition(userId, "online") : Promise.resolve();
    },

    /** A connection of `userId` closed; only the last one makes the user offline. */
    disconnected(userId: string): Promise<void> {
      const count = (connections.get(userId) ?? 0) - 1;
      if (count > 0) {
        connections.set(userId, count);
        return Promise.resolve();
      }
      // Never below zero: an unbalanced call is a bug upstream, not a reason to go "more offline".
      if (!connections.delete(userId)) return Promise.resolve();
      return transition(userId, "offline");
    },

    connectionsOf(userId: string): number {
      return connections.get(userId) ?? 0;
    },

    /** Resolves once every queued transition has been recorded and announced (for shutdown). */
    idle(): Promise<void> {
      return transitions.idle();
    },
  };
}
