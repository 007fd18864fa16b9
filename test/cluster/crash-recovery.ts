// Clusters for the crash-recovery tests: node A in a child process (so it can be killed with
// kill -9), B and C in this process, on Redis or on Postgres alone, with connection state recovery
// on; and a look into the shared store at the session snapshots a node left.
import { join } from "node:path";
import { parseOriginOffset } from "../../src/adapter/origin-offsets.ts";
import { RedisAdapter } from "../../src/adapter/index.ts";
import type { ServerOptions } from "../../src/socketio/index.ts";
import { eventually } from "../faults/support.ts";
import { clusterFormed, dropTable, pgClient, POSTGRES_URL, startPgNode, uniqueCluster } from "./postgres-support.ts";
import { spawnChildNode, type ChildNode } from "./child-node.ts";
import type { CrashNodeConfig } from "./recovery-node-process.ts";
import { redisClient, startNode, uniqueKey, type ServedNode } from "./support.ts";

const CHILD = join(import.meta.dir, "recovery-node-process.ts");
// Short, so B and C see a killed Postgres node dead within half a second.
const HEARTBEAT = { heartbeatInterval: 100, heartbeatTimeout: 400 };

export type Driver = "redis" | "postgres";


export type CrashCluster = {
  /** The Redis key prefix, or the Postgres channel prefix, of the cluster. */
  key: string;
  a: ChildNode;
  b: ServedNode;
  c: ServedNode;
  /** How many session snapshots the node that gave `offset` has in the shared store. */
  snapshotsOf(offset: string): Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
};

function startChild(config: CrashNodeConfig): Promise<ChildNode> {
  return spawnChildNode(CHILD, [JSON.stringify(config)]);
}

/** The node uid an offset of ours names (the node that gave it). */
export function holderOf(offset: unknown): string {
  const holder = typeof offset === "string" ? parseOriginOffset(offset)?.holder : undefined;
  if (holder === undefined) throw new Error(`not an offset of a cluster node: ${String(offset)}`);
  return holder;
}

/** A (child process), B and C of one new cluster, each counting the three; `window`: the recovery window. */
export async function startCrashCluster(driver: Driver, window: number): Promise<CrashCluster> {
  const recovery: Partial<ServerOptions> = { connectionStateRecovery: { maxDisconnectionDuration: window } };
  const base = { window, postgresUrl: POSTGRES_URL, ...HEARTBEAT };
  if (driver === "redis") {
    const key = uniqueKey("crash-recovery");
    const b = await startNode(key, {}, () => {}, recovery);
    const c = await startNode(key, {}, () => {}, recovery);
    const a = await startChild({ ...base, driver, key, tableName: "", sessionTableName: "" });
    const adapter = b.io.of("/").adapter;
    if (!(adapter instanceof RedisAdapter)) throw new Error("B has no Redis adapter");
    await eventually("B counting three nodes", async () => ((await adapter.serverCount()) === 3 ? true : undefined), 5000, 10);
    const redis = redisClient();
    return {
      key,
      a,
      b,
      c,
      async snapshotsOf(offset) {
        return Number(await redis.hlen(`${key}-session#/#${holderOf(offset)}#`));
      },
      async [Symbol.asyncDispose]() {
        a.process.kill("SIGKILL");
        await c[Symbol.asyncDispose]();
        await b[Symbol.asyncDispose]();
        redis.disconnect();
      },
    };
  }
  const cluster = uniqueCluster("crash-recovery");
  const b = await startPgNode(cluster, HEARTBEAT, () => {}, recovery);
  const c = await startPgNode(cluster, HEARTBEAT, () => {}, recovery);
  const a = await startChild({ ...base, driver, key: cluster.channelPrefix, tableName: cluster.tableName, sessionTableName: cluster.sessionTableName });
  await clusterFormed([b, c], 3);
  const sql = pgClient();
  return {
    key: cluster.channelPrefix,
    a,
    b,
    c,
    async snapshotsOf(offset) {
      // The nodes create the table as they start: until then, none.
      const rows = await sql.unsafe(`SELECT count(*)::int AS n FROM ${cluster.sessionTableName} WHERE holder = $1`, [holderOf(offset)]).catch(() => []);
      return Number(rows[0]?.n ?? 0);
    },
    async [Symbol.asyncDispose]() {
      a.process.kill("SIGKILL");
      await c[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      await sql.end({ timeout: 1 });
      await dropTable(cluster.tableName, cluster.sessionTableName);
    },
  };
}
