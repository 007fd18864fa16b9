// The connections of the cluster adapter ADAPTER names: Redis pub/sub (two ioredis clients) or
// Postgres LISTEN/NOTIFY (a small postgres.js pool of its own on DATABASE_URL). Start-up fails when
// the bus is not reachable within DB_CONNECT_TIMEOUT_MS; later the clients reconnect by themselves.
// Each bus is imported only when chosen: a single node (the default) never loads ioredis or
// postgres.js (about 35 ms of `bun src/main.ts`'s start-up on one core).
import type { ClusterPresenceStore, PresenceStoreOptions } from "./cluster/presence-store.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./lib/logger.ts";
import type { AdapterFactory } from "./socketio/index.ts";

export type BusConnection = "publish" | "subscribe" | "presence";

export type ClusterBus = {
  adapter: AdapterFactory;
  /**
   * The store of cluster presence counts (src/cluster) on this bus, on a connection of its own: on
   * Redis one with no offline queue, so a call during an outage fails at once; on Postgres one
   * connection too (its tables come with the application's migrations, in the DATABASE_URL database).
   */
  presence(options: PresenceStoreOptions): ClusterPresenceStore;
  /** Called each time one of the bus connections is back after a drop. */
  onReconnect(listener: (connection: BusConnection) => void): void;
  /** Called when one of the bus connections drops (once per drop). */
  onDrop(listener: (connection: BusConnection) => void): void;
  close(): Promise<void>;
};

/** The bus of `config.adapter`, or undefined for a single node. */
export async function connectClusterBus(config: Config, logger: Logger, prefix: string | undefined): Promise<ClusterBus | undefined> {
  if (config.adapter === "redis") {
    const { connectRedisBus } = await import("./cluster-bus-redis.ts");
    return connectRedisBus(config.redisUrl, config.dbConnectTimeoutMs, logger, prefix);
  }
  if (config.adapter === "postgres" && config.databaseUrl !== undefined) {
    const { connectPostgresBus } = await import("./cluster-bus-postgres.ts");
    return connectPostgresBus(config.databaseUrl, config.dbConnectTimeoutMs, logger, prefix);
  }
  return undefined;
}

/** The host of a URL for messages (never its password). */
export function hostOf(url: string, name: string): string {
  try {
    return new URL(url).host;
  } catch {
    return name;
  }
}
