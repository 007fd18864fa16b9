// Per-node connection counts in Postgres, for presence across a cluster under ADAPTER=postgres: the
// tables cluster_nodes (heartbeats) and cluster_presence (node × user → connections), keyed by the
// cluster's name. Every change is one transaction that first locks the cluster's clock row, so
// changes, totals and reaping are serialized as Redis' scripts are, and their instants increase.
// The node's statements go through one Postgres session (src/lib/pg-session.ts), one at a time.
import type postgres from "postgres";
import type { ClusterPresenceChange } from "../chat/ports.ts";
import type { PgSession } from "../lib/pg-session.ts";
import type { ClusterPresenceStore, PresenceStoreOptions, ResyncedUser } from "./presence-store.ts";

export function createPostgresPresence(session: PgSession, { key, nodeId, timeoutMs }: PresenceStoreOptions): ClusterPresenceStore {
  /** The cluster's next instant (ms, strictly after the last); holds the clock row until the transaction ends. */
  async function stamp(tx: postgres.Sql): Promise<Date> {
    const [row] = await tx<{ at: Date }[]>`
      insert into cluster_clock (cluster, last_at) values (${key}, date_trunc('milliseconds', clock_timestamp()))
      on conflict (cluster) do update
        set last_at = greatest(cluster_clock.last_at + interval '1 millisecond', date_trunc('milliseconds', clock_timestamp()))
      returning last_at as at`;
    if (!row) throw new Error("the cluster clock answered no row");
    return row.at;
  }

  /** Totals over the registered nodes for `users` (absent users: 0). */
  async function totals(tx: postgres.Sql, users: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(users.map((userId) => [userId, 0]));
    if (users.length === 0) return out;
    // The ids as one JSON text: the bus' clients do not look up array types (cluster-bus-notifier.ts).
    const rows = await tx<{ userId: string; total: number }[]>`
      select user_id as "userId", sum(connections)::int as total from cluster_presence
      where cluster = ${key} and user_id in (select json_array_elements_text(${JSON.stringify(users)}::text::json)) group by user_id`;
    for (const { userId, total } of rows) out.set(userId, total);
    return out;
  }

  async function registered(tx: postgres.Sql): Promise<boolean> {
    const rows = await tx`select 1 from cluster_nodes where cluster = ${key} and node_id = ${nodeId}`;
    return rows.length > 0;
  }

  return {
    nodeId,

    set(userId, connections) {
      return session.transaction(async (tx): Promise<ClusterPresenceChange | undefined> => {
        const at = await stamp(tx);
        if (!(await registered(tx))) return undefined;
        const before = (await totals(tx, [userId])).get(userId) ?? 0;
        if (connections > 0) {
          await tx`
            insert into cluster_presence (cluster, node_id, user_id, connections) values (${key}, ${nodeId}, ${userId}, ${connections})
            on conflict (cluster, node_id, user_id) do update set connections = excluded.connections`;
        } else {
          await tx`delete from cluster_presence where cluster = ${key} and node_id = ${nodeId} and user_id = ${userId}`;
        }
        const after = (await totals(tx, [userId])).get(userId) ?? 0;
        return { at, before, after };
      });
    },

    register(counts, alsoReport) {
      return session.transaction(async (tx) => {
        const at = await stamp(tx);
        const own = await tx<{ userId: string }[]>`select user_id as "userId" from cluster_presence where cluster = ${key} and node_id = ${nodeId}`;
        const users = [...new Set([...own.map((row) => row.userId), ...counts.keys(), ...alsoReport])];
        const before = await totals(tx, users);
        // Replacing the node row drops its old counts (cascade).
        await tx`delete from cluster_nodes where cluster = ${key} and node_id = ${nodeId}`;
        await tx`insert into cluster_nodes (cluster, node_id, heartbeat_at) values (${key}, ${nodeId}, ${at})`;
        const rows = [...counts].filter(([, count]) => count > 0).map(([userId, count]) => ({ cluster: key, node_id: nodeId, user_id: userId, connections: count }));
        if (rows.length > 0) await tx`insert into cluster_presence ${tx(rows, "cluster", "node_id", "user_id", "connections")}`;
        const after = await totals(tx, users);
        const moved: ResyncedUser[] = users.map((userId) => ({ userId, before: before.get(userId) ?? 0, after: after.get(userId) ?? 0 }));
        return { at, users: moved };
      });
    },

    heartbeat() {
      return session.transaction(async (tx) => {
        const at = await stamp(tx);
        const rows = await tx`update cluster_nodes set heartbeat_at = ${at} where cluster = ${key} and node_id = ${nodeId} returning 1`;
        return rows.length > 0;
      });
    },

    reap() {
      return session.transaction(async (tx) => {
        const at = await stamp(tx);
        // One statement: the dead nodes go (their counts with them, by cascade), and of their users
        // those no surviving node counts are answered. The CTEs see the rows as before the delete.
        const rows = await tx<{ userId: string }[]>`
          with dead as (
            delete from cluster_nodes
            where cluster = ${key} and node_id <> ${nodeId} and heartbeat_at <= ${at}::timestamptz - ${timeoutMs}::int * interval '1 millisecond'
            returning node_id
          ),
          theirs as (
            select distinct user_id from cluster_presence where cluster = ${key} and node_id in (select node_id from dead)
          )
          select user_id as "userId" from theirs
          where not exists (
            select 1 from cluster_presence p
            where p.cluster = ${key} and p.user_id = theirs.user_id and p.node_id not in (select node_id from dead)
          )`;
        return { at, offline: rows.map((row) => row.userId) };
      });
    },

    async online() {
      // JSON rather than an array: the bus' clients do not look up array types.
      const [row] = await session.run((sql) => sql<{ at: Date; users: unknown }[]>`
        select date_trunc('milliseconds', clock_timestamp()) as at,
          coalesce((select json_agg(distinct user_id) from cluster_presence where cluster = ${key}), '[]'::json) as users`);
      if (!row) throw new Error("the presence query answered no row");
      const { users } = row;
      if (!Array.isArray(users) || !users.every((user): user is string => typeof user === "string")) throw new Error("the presence query answered no list of user ids");
      return { at: row.at, users };
    },

    async leave() {
      await session.run((sql) => sql`delete from cluster_nodes where cluster = ${key} and node_id = ${nodeId}`);
    },
  };
}
