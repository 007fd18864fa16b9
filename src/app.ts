// Composition root: the only place that chooses implementations. Opens the database the config
// names (PGlite or Postgres), migrates it, builds the chat use cases over the repositories and
// src/auth, and wires the HTTP layer and the Socket.IO gateway; returns what main.ts serves.
import { createPasswordHasher, type PasswordHashingCost } from "./auth/passwords.ts";
import { createTokenService } from "./auth/tokens.ts";
import { createChatServices, type ChatServices } from "./chat/index.ts";
import type { Config } from "./config.ts";
import { databaseOptionsOf, openDatabase, type Database } from "./db/database.ts";
import { pendingMigrations } from "./db/migrate.ts";
import { createRepositories } from "./db/repositories/index.ts";
import { createRealtimeNotifier, installGateway, type GatewayServer } from "./gateway/index.ts";
import { createHttpApp } from "./http/app.ts";
import type { Logger } from "./lib/logger.ts";
import { clientAddress, normalizeAddress } from "./lib/client-address.ts";
import { systemTimers } from "./lib/timers.ts";
import { Server, type ServerOptions } from "./socketio/index.ts";

export type App = {
  /** `Bun.serve({ port, ...app.serve })`: Socket.IO under /socket.io (WebSocket and polling), REST for the rest. */
  serve: ReturnType<GatewayServer["handler"]>;
  /** The REST API alone (Hono), for callers that need no sockets. */
  fetch: (request: Request) => Response | Promise<Response>;
  io: GatewayServer;
  database: Database;
  /** The use cases, for the realtime gateway and scripts (bun run seed). */
  chat: ChatServices;
  close(): Promise<void>;
};

export type AppOptions = {
  /**
   * Use this database instead of opening the one the config names: tests share one, and main.ts
   * opens it before loading the rest of the server. The app closes it only when `ownsDatabase`.
   */
  database?: Database;
  ownsDatabase?: boolean;
  /** Argon2id cost; OWASP's setting (19 MiB, 2 passes) unless given (tests pass a cheap one). */
  passwordCost?: PasswordHashingCost;
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
  const { applied } = await database.migrate();
  if (applied.length > 0) logger.info("database migrated", { driver: database.driver, applied });

  const { typingExpiryMs, ...timings } = options.realtime ?? {};
  const trustedProxies = new Set(config.trustedProxies.map(normalizeAddress));
  const io: GatewayServer = new Server({
    ...timings,
    path: "/socket.io",
    // The same allow-list as REST; credentials allowed, so never "*".
    cors: { origin: config.frontendOrigins, methods: ["GET", "POST"], credentials: true },
    serveClient: true,
    logger,
    // Behind TRUST_PROXY the client's address comes from X-Forwarded-For (README "Limits").
    addressOf: (peer, request) => clientAddress(peer, request.headers.get("x-forwarded-for"), trustedProxies),
    addressLimits: {
      handshakesPerSecond: config.limits.handshakesPerAddressPerSecond,
      handshakeBurst: config.limits.handshakeBurstPerAddress,
      pendingSessions: config.limits.pendingConnectionsPerAddress,
    },
  });

  const chat = createChatServices({
    ...createRepositories(database),
    passwords: createPasswordHasher(options.passwordCost),
    tokens: createTokenService({ secret: jwtSecret }),
    notifier: createRealtimeNotifier(io, logger),
  });
  const gateway = installGateway(io, { chat, logger, timers: systemTimers, typingExpiryMs, limits: config.limits });

  const http = createHttpApp({
    frontendOrigins: config.frontendOrigins,
    trustedProxies: config.trustedProxies,
    limits: config.limits,
    logger,
    chat,
    checkReady: async () => {
      await database.ping();
      const pending = await pendingMigrations(database.db);
      return pending === 0 ? { ready: true } : { ready: false, reason: `${pending} migration(s) pending` };
    },
  });

  let closed = false;
  return {
    // The Bun server goes along as Hono's environment: it knows each request's peer address.
    serve: io.handler((request, server) => http.fetch(request, server)),
    fetch: http.fetch,
    io,
    database,
    chat,
    async close() {
      if (closed) return;
      closed = true;
      // Sockets are told "server shutting down" and go offline; their last writes land before the
      // database goes away.
      await io.close();
      await gateway.settled();
      if (ownsDatabase) await database.close();
    },
  };
}
