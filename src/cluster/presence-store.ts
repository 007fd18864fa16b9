// What presence-sync.ts needs from the place a cluster keeps its per-node connection counts: Redis
// (redis-presence.ts) or Postgres (postgres-presence.ts). Both answer totals over the live nodes only.
import type { ClusterPresenceChange } from "../chat/ports.ts";

/** A user's cluster-wide connections before and after a resync. */
export type ResyncedUser = { userId: string; before: number; after: number };

export type PresenceStoreOptions = {
  /** The cluster's name (the adapter's key / channel prefix, "socket.io" by default). */
  key: string;
  nodeId: string;
  /** A node whose heartbeat is older than this is dead: its users are taken offline. */
  timeoutMs: number;
};

export type ClusterPresenceStore = {
  nodeId: string;
  /** This node's count for a user (0 removes it); undefined when the node is not registered (presumed dead). */
  set(userId: string, connections: number): Promise<ClusterPresenceChange | undefined>;
  /** Registers this node with its real counts; answers the users whose totals may have moved (and those asked for). */
  register(counts: ReadonlyMap<string, number>, alsoReport: readonly string[]): Promise<{ at: Date; users: ResyncedUser[] }>;
  /** False when this node is not registered (presumed dead by another): it must register again. */
  heartbeat(): Promise<boolean>;
  /** Removes the nodes whose heartbeat is older than the timeout; answers who is offline now. */
  reap(): Promise<{ at: Date; offline: string[] }>;
  /** Users some live node counts, and the cluster's clock when asked. */
  online(): Promise<{ at: Date; users: string[] }>;
  /** A graceful goodbye: removes this node and its counts. */
  leave(): Promise<void>;
};
