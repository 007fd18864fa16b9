// StudyConnect's series (README "Metrics"): what the realtime server, the database and the process
// report, under one prefix. The sources are read through the structural types below, so this layer
// imports neither the Socket.IO library nor the database: the composition root hands them in.
import { Registry, type CounterChild, type HistogramChild } from "./registry.ts";
import { registerProcessMetrics, startEventLoopLagSampler, type LagSampler } from "./runtime.ts";

export const METRICS_PREFIX = "studyconnect_";
const P = METRICS_PREFIX;

/** The Socket.IO server's figures at scrape time (what `io.stats()` answers). */
export type RealtimeStats = {
  namespaces: readonly { name: string; sockets: Readonly<Record<string, number>>; rooms: number; pendingAcks: number }[];
  engine: { sessions: number; handshakes: Readonly<Record<string, number>>; refusals: Readonly<Record<string, number>> };
  connectRefusals: Readonly<Record<string, number>>;
};

/** The database's pool at scrape time: connections open, the most it opens, requests queued (PGlite's worker). */
export type DatabasePoolStats = { driver: string; open: number; max: number; queued: number | undefined };

export type AppMetricsSources = {
  realtime: { stats(): RealtimeStats };
  database: { stats(): DatabasePoolStats };
  /** Event names the app handles and emits: the only values the event label takes besides "other". */
  clientEvents: readonly string[];
  serverEvents: readonly string[];
  /** How often the event-loop lag is sampled (500 ms unless given). */
  lagIntervalMs?: number;
};

// A CONNECT refused by a namespace middleware is, in this app, the handshake's token check.
const CONNECT_REFUSAL_LABEL: Readonly<Record<string, string>> = { middleware: "auth", invalid_namespace: "invalid_namespace", invalid_auth: "invalid_auth" };

const FANOUT_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const DB_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type AppMetrics = {
  registry: Registry;
  /** The Socket.IO server's observer (ServerOptions.observer). */
  realtime: { eventReceived(event: unknown): void; eventSent(event: string): void; broadcast(recipients: number): void };
  /** The store guard's observer: database calls of the chat layer. */
  database: { started(): void; finished(operation: string, seconds: number): void };
  /** The cluster bus (ADAPTER=redis): a connection back after a drop. */
  bus: { reconnected(connection: string): void };
  /** Text format of every series. */
  render(): string;
  /** Stops the event-loop sampler (the app's shutdown). */
  stop(): void;
};

/** The event-name label of a bounded set: known names keep theirs, anything else counts as "other". */
function boundedCounters(counter: { labels(...values: string[]): CounterChild }, names: readonly string[]) {
  const known = new Map(names.map((name) => [name, counter.labels(name)]));
  const other = counter.labels("other");
  return (event: unknown): CounterChild => (typeof event === "string" ? known.get(event) : undefined) ?? other;
}

export function createAppMetrics(sources: AppMetricsSources): AppMetrics {
  const registry = new Registry();
  const realtimeSnapshot = registerRealtimeGauges(registry, sources.realtime);

  const received = boundedCounters(
    registry.counter(`${P}socketio_events_received_total`, 'Events received from clients, by name ("other": any name the app does not handle).', ["event"]),
    sources.clientEvents,
  );
  const sent = boundedCounters(
    registry.counter(`${P}socketio_events_sent_total`, "Events emitted by the server, once per emit or broadcast, by name.", ["event"]),
    sources.serverEvents,
  );
  const fanout = registry.histogram(`${P}socketio_broadcast_recipients`, "Sockets of this node one broadcast reached.", FANOUT_BUCKETS).labels();

  const dbSeconds = registry.histogram(
    `${P}db_query_duration_seconds`,
    "Time of one database call of the chat layer (one statement or one transaction, waiting for a connection included), by store operation.",
    DB_SECONDS_BUCKETS,
    ["operation"],
  );
  const dbByOperation = new Map<string, HistogramChild>();
  const inFlight = registry.gauge(`${P}db_calls_in_flight`, "Database calls started and not yet answered (connections in use or awaited).").labels();
  registerDatabaseGauges(registry, sources.database);
  const busReconnects = registry.counter(
    `${P}bus_reconnects_total`,
    "Cluster bus connections (ADAPTER=redis) back after a drop, by connection: publish, subscribe, presence.",
    ["connection"],
  );
  registerProcessMetrics(registry, P);
  const lag: LagSampler = startEventLoopLagSampler(registry, P, sources.lagIntervalMs ?? 500);

  return {
    registry,
    realtime: {
      eventReceived: (event) => received(event).inc(),
      eventSent: (event) => sent(event).inc(),
      broadcast: (recipients) => fanout.observe(recipients),
    },
    database: {
      started: () => inFlight.inc(),
      finished(operation, seconds) {
        inFlight.dec();
        let child = dbByOperation.get(operation);
        if (!child) dbByOperation.set(operation, (child = dbSeconds.labels(operation)));
        child.observe(seconds);
      },
    },
    bus: { reconnected: (connection) => busReconnects.labels(connection).inc() },
    render() {
      realtimeSnapshot.reset();
      return registry.render();
    },
    stop: () => lag.stop(),
  };
}

/** Series read from the Socket.IO server at scrape time; `reset` before each scrape. */
function registerRealtimeGauges(registry: Registry, realtime: { stats(): RealtimeStats }): { reset(): void } {
  // One stats() per scrape (a pass over every socket): the series of one scrape share it.
  let snapshot: RealtimeStats | undefined;
  const stats = (): RealtimeStats => (snapshot ??= realtime.stats());
  registry.gauge(`${P}socketio_connected_sockets`, "Sockets connected, by namespace and current transport.", ["namespace", "transport"], (set) => {
    for (const nsp of stats().namespaces) for (const [transport, count] of Object.entries(nsp.sockets)) set(count, nsp.name, transport);
  });
  registry.gauge(`${P}socketio_rooms`, "Rooms with at least one member (a socket's own room not counted), by namespace.", ["namespace"], (set) => {
    for (const nsp of stats().namespaces) set(nsp.rooms, nsp.name);
  });
  registry.gauge(`${P}socketio_acks_pending`, "Server emits waiting for the client's acknowledgement, by namespace.", ["namespace"], (set) => {
    for (const nsp of stats().namespaces) set(nsp.pendingAcks, nsp.name);
  });
  registry.gauge(`${P}engine_sessions`, "Engine.IO sessions open (connected to a namespace or not yet).", [], (set) => set(stats().engine.sessions));
  registry.counter(`${P}engine_handshakes_total`, "Engine.IO sessions opened, by the transport they opened on.", ["transport"], (set) => {
    for (const [transport, count] of Object.entries(stats().engine.handshakes)) set(count, transport);
  });
  registry.counter(
    `${P}handshake_refusals_total`,
    "Connections refused, by reason: Engine.IO request errors, address limits, cross-site WebSocket origins, and Socket.IO CONNECTs (auth: the token check).",
    ["reason"],
    (set) => {
      const current = stats();
      for (const [reason, count] of Object.entries(current.engine.refusals)) set(count, reason);
      for (const [reason, count] of Object.entries(current.connectRefusals)) set(count, CONNECT_REFUSAL_LABEL[reason] ?? reason);
    },
  );
  return { reset: () => void (snapshot = undefined) };
}

function registerDatabaseGauges(registry: Registry, database: { stats(): DatabasePoolStats }): void {
  registry.gauge(`${P}db_pool_connections`, "Database connections open (PGlite: its one session), by driver.", ["driver"], (set) => {
    const pool = database.stats();
    set(pool.open, pool.driver);
  });
  registry.gauge(`${P}db_pool_max_connections`, "The most connections the pool opens, by driver.", ["driver"], (set) => {
    const pool = database.stats();
    set(pool.max, pool.driver);
  });
  registry.gauge(`${P}db_worker_queue`, "PGlite: requests sent to the database worker and not yet answered.", [], (set) => {
    const queued = database.stats().queued;
    if (queued !== undefined) set(queued);
  });
}
