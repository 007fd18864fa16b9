// The Redis bus of ADAPTER=redis (src/cluster-bus.ts): three ioredis clients, the adapter over two
// of them and the presence store over the third; drops and reconnects are told to the listeners.
import Redis from "ioredis";
import { hostOf, type BusConnection, type ClusterBus } from "./cluster-bus.ts";
import type { Logger } from "./lib/logger.ts";
import { createRedisAdapter } from "./socketio/index.ts";
import { createRedisPresence } from "./cluster/redis-presence.ts";

/**
 * The Redis connections of the cluster adapter: one to publish, one to subscribe (a subscribed
 * connection can do nothing else), one for presence counts. ioredis reconnects and subscribes again
 * by itself; the drop and reconnect listeners resync what a drop may have lost.
 */
export async function connectRedisBus(url: string, connectTimeoutMs: number, logger: Logger, key: string | undefined): Promise<ClusterBus> {
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
