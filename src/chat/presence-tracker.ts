// Who is online: a user is online while at least one of their connections is open, on this node or,
// with a cluster, on any node. The first connection records and announces "online", the last one to
// close "offline"; a user's transitions run one at a time, in the order the connections changed.
import { createKeyedSerialQueue } from "../lib/serial-queue.ts";
import type { ClusterPresence } from "./ports.ts";
import type { PresenceStatus } from "./types.ts";

export type PresenceTrackerDeps = {
  /** Persists the status (chat.presence.record); `at` is the cluster's instant when there is one. */
  record(userId: string, status: PresenceStatus, at?: Date): Promise<void>;
  /** Tells the other users; called after `record`, also when recording failed. */
  announce(userId: string, status: PresenceStatus): void;
  /** `cluster`: the cluster did not answer and this node decided alone (the bus is down). */
  onError(error: unknown, context: { userId: string; status: PresenceStatus; cluster?: true }): void;
  /** The cluster's counts; without it this node alone decides. */
  cluster?: ClusterPresence;
};

export type PresenceTracker = ReturnType<typeof createPresenceTracker>;

export function createPresenceTracker({ record, announce, onError, cluster }: PresenceTrackerDeps) {
  const connections = new Map<string, number>();
  const transitions = createKeyedSerialQueue();
  // Users whose status this node decided alone because the cluster did not answer: a resync
  // tells them the truth (takeGuessed).
  const guessed = new Set<string>();

  // Runs inside the user's queue slot.
  const apply = async (userId: string, status: PresenceStatus, at?: Date): Promise<void> => {
    try {
      await record(userId, status, at);
    } catch (error) {
      // Clients still hear the truth about the connection; the stored row catches up next time.
      onError(error, { userId, status });
    }
    try {
      announce(userId, status);
    } catch (error) {
      onError(error, { userId, status });
    }
  };

  // The local count changes at once; the write and the announcement queue behind the user's earlier
  // ones, so connect-disconnect-connect ends online in the store and for clients.
  const transition = (userId: string, status: PresenceStatus): Promise<void> => transitions.run(userId, () => apply(userId, status));

  // With a cluster the count this node holds when its turn comes is what it tells the cluster (an
  // absolute value: the latest wins), and the cluster's totals before/after decide the transition.
  const clusterTransition = (userId: string, clusterOf: ClusterPresence, localStatus: PresenceStatus | undefined): Promise<void> =>
    transitions.run(userId, async () => {
      let change;
      try {
        change = await clusterOf.set(userId, connections.get(userId) ?? 0);
      } catch (error) {
        // The bus is down: this node's own count decides for now, the resync corrects it.
        guessed.add(userId);
        onError(error, { userId, status: localStatus ?? "online", cluster: true });
        if (localStatus) await apply(userId, localStatus);
        return;
      }
      if (!change) return;
      if (change.before === 0 && change.after > 0) await apply(userId, "online", change.at);
      else if (change.before > 0 && change.after === 0) await apply(userId, "offline", change.at);
    });

  return {
    /** A connection of `userId` opened; resolves once a resulting transition is recorded and announced. */
    connected(userId: string): Promise<void> {
      const count = (connections.get(userId) ?? 0) + 1;
      connections.set(userId, count);
      if (cluster) return clusterTransition(userId, cluster, count === 1 ? "online" : undefined);
      return count === 1 ? transition(userId, "online") : Promise.resolve();
    },

    /** A connection of `userId` closed; only the last one makes the user offline. */
    disconnected(userId: string): Promise<void> {
      const count = (connections.get(userId) ?? 0) - 1;
      if (count > 0) {
        connections.set(userId, count);
        return cluster ? clusterTransition(userId, cluster, undefined) : Promise.resolve();
      }
      // Never below zero: an unbalanced call is a bug upstream, not a reason to go "more offline".
      if (!connections.delete(userId)) return Promise.resolve();
      return cluster ? clusterTransition(userId, cluster, "offline") : transition(userId, "offline");
    },

    connectionsOf(userId: string): number {
      return connections.get(userId) ?? 0;
    },

    /** This node's connection counts per user (what a cluster resync registers). */
    snapshot(): Map<string, number> {
      return new Map(connections);
    },

    /** Users decided by this node alone since the last call (the cluster was unreachable). */
    takeGuessed(): string[] {
      const users = [...guessed];
      guessed.clear();
      return users;
    },

    /**
     * A status the cluster settled elsewhere (a dead node's users, a resync): recorded and
     * announced in the user's turn, like a transition of this node's own.
     */
    observed(userId: string, status: PresenceStatus, at: Date): Promise<void> {
      return transitions.run(userId, () => apply(userId, status, at));
    },

    /** Resolves once every queued transition has been recorded and announced (for shutdown). */
    idle(): Promise<void> {
      return transitions.idle();
    },
  };
}
