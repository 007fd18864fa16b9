// The Postgres bus of ADAPTER=postgres (src/cluster-bus.ts): postgres.js pools of its own on
// DATABASE_URL, the adapter's LISTEN/NOTIFY and the presence store; drops and reconnects are told.
import postgres from "postgres";
import { busClientSettings, createPostgresNotifier } from "./cluster-bus-notifier.ts";
import { hostOf, type BusConnection, type ClusterBus } from "./cluster-bus.ts";
import type { Logger } from "./lib/logger.ts";
import { createPostgresAdapter, type PostgresBusClient } from "./socketio/index.ts";
import { createPostgresPresence } from "./cluster/postgres-presence.ts";
import { createPgSession } from "./lib/pg-session.ts";

/**
 * The Postgres connections of the cluster adapter: a pool of two for the attachment table, plus the
 * one connection postgres.js dedicates to LISTEN (it listens again after a drop), one for NOTIFY
 * (one connection keeps them in order while the bus pipelines them), and one for presence counts.
 * Apart from the application's pool, so a busy database pool never delays the bus or a heartbeat
 * (a node late by the timeout would be taken for dead).
 * Drops and reconnects are told as on Redis: `subscribe` for the LISTEN connection, `publish` for
 * NOTIFYs failing and going through again.
 */
export async function connectPostgresBus(url: string, connectTimeoutMs: number, logger: Logger, channelPrefix: string | undefined): Promise<ClusterBus> {
  const sql = postgres(url, { ...busClientSettings(connectTimeoutMs, "studyconnect-bus"), max: 2 });
  const notifications = createPostgresNotifier(url, connectTimeoutMs);
  const { notifier } = notifications;
  // One connection, as on Redis: this node's presence changes reach the cluster in the order it made
  // them (they are serialized on the cluster's clock row anyway), so announcements keep that order.
  // A session, not postgres.js' begin(): a transaction whose connection dies must fail, not crash.
  const presenceSession = createPgSession(url, busClientSettings(connectTimeoutMs, "studyconnect-presence"));
  const reconnectListeners: ((connection: BusConnection) => void)[] = [];
  const dropListeners: ((connection: BusConnection) => void)[] = [];
  const tell = (listeners: ((connection: BusConnection) => void)[], connection: BusConnection) => {
    for (const listener of listeners) listener(connection);
  };
  try {
    await Promise.all([sql`select 1`, notifier.probe(), presenceSession.run((presenceSql) => presenceSql`select 1`)]);
  } catch (error) {
    await Promise.all([sql.end({ timeout: 0 }), notifications.end(0), presenceSession.end(0)]);
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
    presence: (presenceOptions) => createPostgresPresence(presenceSession, presenceOptions),
    onReconnect: (listener) => void reconnectListeners.push(listener),
    onDrop: (listener) => void dropListeners.push(listener),
    async close() {
      await Promise.all([sql.end({ timeout: 2 }), notifications.end(2), presenceSession.end(2)]);
    },
  };
}
