// Composition root: the only place that chooses implementations. Opens the database the config
// names (PGlite or Postgres), migrates it, watches its health, builds the chat use cases over the
// repositories and src/auth, and wires the HTTP layer and the Socket.IO gateway; returns what main.ts
// serves, and the graceful shutdown (close) in its order.
import { createPasswordHasher, type PasswordHashingCost } from "./auth/passwords.ts";
import { createTokenService } from "./auth/tokens.ts";
import { createChatServices, type ChatServices } from "./chat/index.ts";
import { createPresenceSync, type PresenceSync } from "./cluster/presence-sync.ts";
import type { Config } from "./config.ts";
import { databaseOptionsOf, openDatabase, type Database } from "./db/database.ts";
import { createDatabaseHealth } from "./db/health.ts";
import { createRepositories } from "./db/repositories/index.ts";
import { CLIENT_EVENTS, createDeliveryLedger, createRealtimeNotifier, installGateway, SERVER_EVENTS, type GatewayServer } from "./gateway/index.ts";
import { createHttpApp } from "./http/app.ts";
import { metricsApp, type MetricsEndpoint } from "./http/metrics-routes.ts";
import type { Readiness } from "./http/health.ts";
import { settledBy } from "./lib/deadline.ts";
import type { Logger } from "./lib/logger.ts";
import { clientAddress, normalizeAddress } from "./lib/client-address.ts";
import { systemTimers } from "./lib/timers.ts";
import { createAppMetrics, type AppMetrics } from "./metrics/app-metrics.ts";
import { EXPOSITION_CONTENT_TYPE } from "./metrics/exposition.ts";
import { PostgresAdapter, RedisAdapter, Server, type ServerOptions } from "./socketio/index.ts";
import { connectClusterBus, type ClusterBus } from "./cluster-bus.ts";
import { serveWebApp } from "./web/page.ts";

export type App = {
  /** `Bun.serve({ port, ...app.serve })`: Socket.IO under /socket.io (WebSocket and polling), REST for the rest. */
  serve: ReturnType<GatewayServer["handler"]>;
  /** The REST API alone (Hono), for callers that need no sockets. */
  fetch: (request: Request) => Response | Promise<Response>;
  io: GatewayServer;
  database: Database;
  /** The use cases, for the realtime gateway and scripts (bun run seed). */
  chat: ChatServices;
  /** The Prometheus series (README "Metrics"), served at GET /metrics. */
  metrics: AppMetrics;
  /**
   * With METRICS_PORT, /metrics is not on the main port: main.ts serves this on its own listener.
   * Undefined otherwise.
   */
  metricsServe: { fetch: (request: Request) => Response | Promise<Response> } | undefined;
  /**
   * Graceful shutdown, bounded by config.shutdownTimeoutMs in all: client events are refused from now
   * on and those in flight answered, then the sockets close (their offline status is stored), then
   * `stopServer` (the caller's Bun server: REST requests in flight), then the database. Whatever is
   * still unfinished at the deadline is abandoned (and logged).
   */
  close(options?: CloseOptions): Promise<void>;
};

export type CloseOptions = {
  /** Stops the HTTP server and resolves once its requests in flight are answered (main.ts: server.stop()). */
  stopServer?: () => Promise<unknown>;
};

// A database call unanswered this long after the statement timeout fails with UNAVAILABLE: Postgres'
// own cancellation (statement_timeout) comes first when the database is merely slow.
const CALL_DEADLINE_MARGIN_MS = 1000;
// What the database gets to close once the work the shutdown waited for is done (or abandoned): at
// least a moment, however late; at most 2 s, since only connections are left to end, and a half-open
// one would wait out the whole time for an answer to its goodbye.
const DATABASE_CLOSE_MS = { min: 250, max: 2000 };

export type AppOptions = {
  /**
   * Use this database instead of opening the one the config names: tests share one, and main.ts
   * opens it before loading the rest of the server. The app closes it only when `ownsDatabase`.
   */
  database?: Database;
  ownsDatabase?: boolean;
  /** Argon2id cost; OWASP's setting (19 MiB, 2 passes) unless given (tests pass a cheap one). */
  passwordCost?: PasswordHashingCost;
  /**
   * Marks every user stored as online offline at start (default true): what a node killed without a
   * shutdown left behind. Scripts that run beside a server (bun run seed) pass false.
   */
  clearStalePresence?: boolean;
  /** How often the event-loop lag is sampled (500 ms unless given; tests pass a short one). */
  lagIntervalMs?: number;
  /** The cluster's channel prefix (Redis key / Postgres channelPrefix); socket.io's "socket.io" unless given (tests isolate runs). */
  clusterKey?: string;
  /**
   * Under a cluster adapter, how often this node's presence heartbeat goes to Redis or Postgres (5 s unless given;
   * tests pass short ones). A node silent for three of them is dead: its users go offline.
   */
  presenceHeartbeatMs?: number;
  /** Socket.IO timings; socket.io's defaults unless given (tests pass short ones). */
  realtime?: Partial<Pick<ServerOptions, "pingInterval" | "pingTimeout" | "connectTimeout" | "upgradeTimeout">> & {
    /** How long a typing indicator lasts without a new typing:start (5 s). */
    typingExpiryMs?: number;
  };
};

export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  // main.ts resolves a missing secret (development file) first; checked before anything is opened.
  const jwtSecret = config.jwtSecret;
  if (jwtSecret === undefined) throw new Error("createApp needs config.jwtSecret (see resolveJwtSecret)");
  const database = options.database ?? (await openDatabase(databaseOptionsOf(config)));
  const ownsDatabase = options.database === undefined || options.ownsDatabase === true;
  if (database.origin === "snapshot") logger.info("new database created from the shipped snapshot", { dataDir: config.dataDir });
  // A snapshot of another PGlite version cannot be used: initdb ran instead (seconds, not one).
  if (database.origin === "initdb" && ownsDatabase) logger.warn("new database created by initdb: the shipped snapshot does not fit this PGlite (bun run db:snapshot)");
  const repositories = createRepositories(database);
  try {
    const { applied } = await database.migrate();
    if (applied.length > 0) logger.info("database migrated", { driver: database.driver, applied });
    // Under a cluster adapter other nodes' users are online: the cluster's counts decide (below).
    if ((options.clearStalePresence ?? true) && config.adapter === "local") {
      const cleared = await repositories.presence.markAllOffline();
      if (cleared > 0) logger.info("presence left online by a previous run cleared", { users: cleared });
    }
  } catch (error) {
    if (ownsDatabase) await database.close(0).catch(() => {});
    throw error;
  }
  const health = createDatabaseHealth(
    database,
    { intervalMs: config.dbHealthIntervalMs, timeoutMs: config.dbHealthTimeoutMs, statementTimeoutMs: config.dbStatementTimeoutMs },
    logger,
  );
  health.start();

  let bus: ClusterBus | undefined;
  try {
    bus = await connectClusterBus(config, logger, options.clusterKey);
  } catch (error) {
    health.stop();
    if (ownsDatabase) await database.close(0).catch(() => {});
    throw error;
  }

  const { typingExpiryMs, ...timings } = options.realtime ?? {};
  const heartbeatMs = options.presenceHeartbeatMs ?? PRESENCE_HEARTBEAT_MS;
  // Under a cluster adapter presence is cluster-wide: per-node counts on the bus' Redis or Postgres.
  const presenceSync: PresenceSync | undefined = bus
    ? createPresenceSync(
        bus.presence({ key: options.clusterKey ?? "socket.io", nodeId: crypto.randomUUID(), timeoutMs: heartbeatMs * PRESENCE_MISSED_HEARTBEATS }),
        { timers: systemTimers, heartbeatMs, onError: (error, context) => logger.warn(`cluster ${context} failed`, { error }) },
      )
    : undefined;
  const trustedProxies = new Set(config.trustedProxies.map(normalizeAddress));
  const metrics = createAppMetrics({
    // Read at scrape time only, when io exists.
    realtime: { stats: () => io.stats() },
    database,
    clientEvents: CLIENT_EVENTS,
    serverEvents: SERVER_EVENTS,
    lagIntervalMs: options.lagIntervalMs,
  });
  // Under a cluster adapter every chat message reaches this node's sockets once, even when a catch-up
  // after a bus outage and the bus both bring it.
  const ledger = bus ? createDeliveryLedger() : undefined;
  const io: GatewayServer = new Server({
    ...timings,
    observer: metrics.realtime,
    path: "/socket.io",
    // The same allow-list as REST; credentials allowed, so never "*".
    cors: { origin: config.frontendOrigins, methods: ["GET", "POST"], credentials: true },
    serveClient: true,
    logger,
    ...(bus ? { adapter: bus.adapter } : {}),
    ...(ledger ? { admitBroadcast: ledger.admit } : {}),
    // Behind TRUST_PROXY the client's address comes from X-Forwarded-For (README "Limits").
    addressOf: (peer, request) => clientAddress(peer, request.headers.get("x-forwarded-for"), trustedProxies),
    addressLimits: {
      handshakesPerSecond: config.limits.handshakesPerAddressPerSecond,
      handshakeBurst: config.limits.handshakeBurstPerAddress,
      pendingSessions: config.limits.pendingConnectionsPerAddress,
    },
  });

  // The main namespace listens to the cluster before the server takes its first connection.
  const mainAdapter = io.of("/").adapter;
  if (mainAdapter instanceof RedisAdapter || mainAdapter instanceof PostgresAdapter) await mainAdapter.ready;

  const chat = createChatServices({
    ...repositories,
    guard: { health, deadlineMs: config.dbStatementTimeoutMs + CALL_DEADLINE_MARGIN_MS, observer: metrics.database },
    passwords: createPasswordHasher(options.passwordCost),
    tokens: createTokenService({ secret: jwtSecret, expiresInSeconds: config.jwtLifetimeSeconds }),
    notifier: createRealtimeNotifier(io, logger),
  });
  const gateway = installGateway(io, {
    chat,
    logger,
    timers: systemTimers,
    typingExpiryMs,
    limits: config.limits,
    ...(presenceSync ? { clusterPresence: presenceSync.port } : {}),
    ...(ledger ? { ledger } : {}),
  });
  // Counted on either bus (README "Metrics"): Redis connections back, or Postgres listening again.
  bus?.onReconnect((connection) => metrics.bus.reconnected(connection));
  if (bus && presenceSync) {
    try {
      await startClusterPresence(presenceSync, gateway, repositories, logger, options.clearStalePresence ?? true);
      await gateway.busCatchUp?.start();
    } catch (error) {
      await bus.close();
      health.stop();
      metrics.stop();
      if (ownsDatabase) await database.close(0).catch(() => {});
      throw error;
    }
    const catchUp = gateway.busCatchUp;
    bus.onDrop((connection) => {
      if (connection === "subscribe") catchUp?.dropped();
      if (connection === "publish") catchUp?.publishDropped();
    });
    bus.onReconnect((connection) => {
      if (connection === "presence") presenceSync.resync();
      if (connection === "subscribe") void catchUp?.resumed();
      if (connection === "publish") catchUp?.publishResumed();
    });
  }

  let closing: Promise<void> | undefined;
  const readiness = (): Readiness => {
    if (closing) return { ready: false, reason: "shutting down" };
    return health.current().up ? { ready: true } : { ready: false, reason: "database unreachable" };
  };
  const metricsEndpoint: MetricsEndpoint = { render: () => metrics.render(), contentType: EXPOSITION_CONTENT_TYPE, token: config.metrics.token };
  const separateMetrics = config.metrics.listen !== undefined;
  const http = createHttpApp({
    metrics: separateMetrics ? undefined : metricsEndpoint,
    frontendOrigins: config.frontendOrigins,
    trustedProxies: config.trustedProxies,
    limits: config.limits,
    logger,
    chat,
    readiness,
  });

  async function shutdown({ stopServer }: CloseOptions): Promise<void> {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    const abandoned: string[] = [];
    const step = async (what: string, work: Promise<unknown>) => {
      if (!(await settledBy(work, deadline))) abandoned.push(what);
    };
    // Events in flight are answered while their sockets are still open (an ack after the close is lost).
    await step("client events in flight", gateway.drain());
    // Sockets are told "server shutting down"; each user's last one going records "offline".
    await step("closing the sockets", io.close());
    // Its sockets are gone and their counts with them: the node says goodbye instead of being reaped.
    if (presenceSync) {
      await step("presence writes", gateway.settled());
      await step("leaving cluster presence", presenceSync.stop(true).catch((error: unknown) => logger.warn("leaving cluster presence failed", { error })));
    }
    // The goodbye (ADAPTER_CLOSE) of the Postgres adapter goes out before its connections end.
    if (mainAdapter instanceof PostgresAdapter) await step("the cluster goodbye", mainAdapter.drained());
    if (stopServer) await step("HTTP requests in flight", stopServer());
    await step("presence writes", gateway.settled());
    // Last: the offline announcements above still go out through it.
    if (bus) await step("the cluster bus", bus.close());
    health.stop();
    metrics.stop();
    if (ownsDatabase) await database.close(Math.min(Math.max(deadline - Date.now(), DATABASE_CLOSE_MS.min), DATABASE_CLOSE_MS.max));
    if (abandoned.length > 0) logger.warn(`shutdown timeout passed: did not wait for ${abandoned.join(", ")}`, { shutdownTimeoutMs: config.shutdownTimeoutMs });
  }

  return {
    // The built-in web app answers its own few paths (GET /, its files); the REST API the rest. The Bun
    // server goes along as Hono's environment: it knows each request's peer address.
    serve: io.handler((request, server) => serveWebApp(request) ?? http.fetch(request, server)),
    fetch: http.fetch,
    io,
    database,
    chat,
    metrics,
    metricsServe: separateMetrics ? { fetch: metricsApp(metricsEndpoint).fetch } : undefined,
    close(closeOptions = {}) {
      closing ??= shutdown(closeOptions);
      return closing;
    },
  };
}

// Presence heartbeats of a node under a cluster adapter; three missed ones (15 s) make it dead.
const PRESENCE_HEARTBEAT_MS = 5000;
const PRESENCE_MISSED_HEARTBEATS = 3;

/**
 * Cluster presence at start-up: registers this node, reaps the nodes that died (their users go
 * offline), starts the heartbeat; then the rows still "online" that no live node counts are what a
 * crash left behind, and go offline.
 */
async function startClusterPresence(
  sync: PresenceSync,
  gateway: { presence: Parameters<PresenceSync["start"]>[0] },
  repositories: ReturnType<typeof createRepositories>,
  logger: Logger,
  clearStale: boolean,
): Promise<void> {
  await sync.start(gateway.presence);
  if (!clearStale) return;
  const { at, users } = await sync.online();
  const cleared = await repositories.presence.markOfflineExcept(users, at);
  if (cleared > 0) logger.info("presence left online by a crashed node cleared", { users: cleared });
}
