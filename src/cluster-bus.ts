// The connections of the cluster adapter ADAPTER names: Redis pub/sub (two ioredis clients) or
// Postgres LISTEN/NOTIFY (a small postgres.js pool of its own on DATABASE_URL). Start-up fails when
// the bus is not reachable within DB_CONNECT_TIMEOUT_MS; later the clients reconnect by themselves.
import Redis from "ioredis";
import postgres from "postgres";
import { createPostgresNotifier } from "./cluster-bus-notifier.ts";
import { createPostgresPresence } from "./cluster/postgres-presence.ts";
import type { ClusterPresenceStore, PresenceStoreOptions } from "./cluster/presence-store.ts";
import { createRedisPresence } from "./cluster/redis-presence.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./lib/logger.ts";
import { createPostgresAdapter, createRedisAdapter, type AdapterFactory, type PostgresBusClient } from "./socketio/index.ts";

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
  if (config.adapter === "redis") return connectRedisBus(config.redisUrl, config.dbConnectTimeoutMs, logger, prefix);
  if (config.adapter === "postgres" && config.databaseUrl !== undefined) return connectPostgresBus(config.databaseUrl, config.dbConnectTimeoutMs, logger, prefix);
  return undefined;
}

/**
 * The Redis connections of the cluster adapter: one to publish, one to subscribe (a subscribed
 * connection can do nothing else), one for presence counts. ioredis reconnects and subscribes again
 * by itself; the drop and reconnect listeners resync what a drop may have lost.
 */
async function connectRedisBus(url: string, connectTimeoutMs: number, logger: Logger, key: string | undefined): Promise<ClusterBus> {
  const options = { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 2 };
  const pub = new Redis(url, options);
  const sub = new Redis(url, options);
  const presence = new Redis(url, { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const reconnectListeners: ((connection: BusConnection) => void)[] = [];
  const dropListeners: ((connection: BusConnection) => void)[] = [];
  let lastError = "";
  const named: [BusConnection, Redis][] = [
    ["publish", pub],
    ["subscribe", sub],
    ["presence", presence],
  ];
  for (const [name, client] of named) {
    // Logged once per kind of failure: a reconnect loop must not flood the log.
    client.on("error", (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      logger.warn("redis connection failed", { error });
    });
    let readyBefore = false;
    let up = false;
    client.on("close", () => {
      if (!up) return;
      up = false;
      for (const listener of dropListeners) listener(name);
    });
    client.on("ready", () => {
      up = true;
      lastError = "";
      if (readyBefore) for (const listener of reconnectListeners) listener(name);
      readyBefore = true;
    });
  }
  const disconnect = () => {
    pub.disconnect();
    sub.disconnect();
    presence.disconnect();
  };
  try {
    await Promise.all([pub.connect(), sub.connect(), presence.connect()]);
  } catch (error) {
    disconnect();
    throw new Error(`Redis not reachable at ${hostOf(url, "REDIS_URL")} (ADAPTER=redis)`, { cause: error });
  }
  return {
    adapter: createRedisAdapter(pub, sub, {
      ...(key === undefined ? {} : { key }),
      onError: (error, context) => logger.error(`redis adapter: ${context}`, { error }),
    }),
    presence: (presenceOptions) => createRedisPresence(presence, presenceOptions),
    onReconnect: (listener) => void reconnectListeners.push(listener),
    onDrop: (listener) => void dropListeners.push(listener),
    async close() {
      disconnect();
    },
  };
}

/**
 * The Postgres connections of the cluster adapter: a pool of two for the attachment table, plus the
 * one connection postgres.js dedicates to LISTEN (it listens again after a drop), one for NOTIFY
 * (one connection keeps them in order while the bus pipelines them), and one for presence counts.
 * Apart from the application's pool, so a busy database pool never delays the bus or a heartbeat
 * (a node late by the timeout would be taken for dead).
 * Drops and reconnects are told as on Redis: `subscribe` for the LISTEN connection, `publish` for
 * NOTIFYs failing and going through again.
 */
async function connectPostgresBus(url: string, connectTimeoutMs: number, logger: Logger, channelPrefix: string | undefined): Promise<ClusterBus> {
  const sql = postgres(url, {
    max: 2,
    connect_timeout: connectTimeoutMs / 1000,
    onnotice: () => {},
    connection: { application_name: "studyconnect-bus" },
  });
  const notifications = createPostgresNotifier(url, connectTimeoutMs);
  const { notifier } = notifications;
  // One connection, as on Redis: this node's presence changes reach the cluster in the order it made
  // them (they are serialized on the cluster's clock row anyway), so announcements keep that order.
  const presenceSql = postgres(url, {
    max: 1,
    connect_timeout: connectTimeoutMs / 1000,
    onnotice: () => {},
    connection: { application_name: "studyconnect-presence" },
  });
  const reconnectListeners: ((connection: BusConnection) => void)[] = [];
  const dropListeners: ((connection: BusConnection) => void)[] = [];
  const tell = (listeners: ((connection: BusConnection) => void)[], connection: BusConnection) => {
    for (const listener of listeners) listener(connection);
  };
  try {
    await Promise.all([sql`select 1`, notifier.probe(), presenceSql`select 1`]);
  } catch (error) {
    await Promise.all([sql.end({ timeout: 0 }), notifications.end(0), presenceSql.end({ timeout: 0 })]);
    throw new Error(`Postgres not reachable at ${hostOf(url, "DATABASE_URL")} (ADAPTER=postgres)`, { cause: error });
  }
  const busClient: PostgresBusClient = {
    listen: (channel, onNotify, onListen) => sql.listen(channel, onNotify, onListen),
    notify: (channel, payload) => sql.notify(channel, payload),
    unsafe: (query, parameters) => sql.unsafe(query, parameters),
    notifier,
  };
  return {
    adapter: createPostgresAdapter(busClient, {
      ...(channelPrefix === undefined ? {} : { channelPrefix }),
      onError: (error, context) => logger.error(`postgres adapter: ${context}`, { error }),
      // postgres.js listens again by itself after a drop and tells nothing of the drop itself: a
      // LISTEN again means the connection dropped before it, and nothing of the new connection has
      // been handed on yet, so the drop's mark taken now misses nothing that came before it.
      onRelisten: () => {
        tell(dropListeners, "subscribe");
        tell(reconnectListeners, "subscribe");
      },
      // The pool connects again on the next query by itself: a NOTIFY lost is the drop, the pool
      // answering again the reconnect (this node's recent messages then go out again, first).
      onPublishDropped: () => tell(dropListeners, "publish"),
      onPublishResumed: () => tell(reconnectListeners, "publish"),
    }),
    presence: (presenceOptions) => createPostgresPresence(presenceSql, presenceOptions),
    onReconnect: (listener) => void reconnectListeners.push(listener),
    onDrop: (listener) => void dropListeners.push(listener),
    async close() {
      await Promise.all([sql.end({ timeout: 2 }), notifications.end(2), presenceSql.end({ timeout: 2 })]);
    },
  };
}

/** The host of a URL for messages (never its password). */
function hostOf(url: string, name: string): string {
  try {
    return new URL(url).host;
  } catch {
    return name;
  }
}
