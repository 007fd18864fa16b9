// Composition root: the only place that chooses implementations. Opens the database the config
// names (PGlite or Postgres), migrates it, builds the chat use cases over the repositories and
// src/auth, and wires the HTTP layer; returns what main.ts serves.
import { createPasswordHasher, type PasswordHashingCost } from "./auth/passwords.ts";
import { createTokenService } from "./auth/tokens.ts";
import { createChatServices, type ChatServices } from "./chat/index.ts";
import type { RealtimeNotifier } from "./chat/ports.ts";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate, pendingMigrations } from "./db/migrate.ts";
import { createRepositories } from "./db/repositories/index.ts";
import { createHttpApp } from "./http/app.ts";
import type { Logger } from "./lib/logger.ts";

export type App = {
  fetch: (request: Request) => Response | Promise<Response>;
  database: Database;
  /** The use cases, for the realtime gateway and scripts (bun run seed). */
  chat: ChatServices;
  close(): Promise<void>;
};

export type AppOptions = {
  /** Use this database instead of opening the one the config names (tests share one). */
  database?: Database;
  /** Argon2id cost; Bun's defaults unless given (tests pass a cheap one). */
  passwordCost?: PasswordHashingCost;
};

// Rooms created over REST are announced with room:created once the Socket.IO layer exists: this
// placeholder is wired to Socket.IO in issue 6's gateway step.
const notifyNobody: RealtimeNotifier = { roomCreated: () => {} };

export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  // main.ts resolves a missing secret (development file) first; checked before anything is opened.
  const jwtSecret = config.jwtSecret;
  if (jwtSecret === undefined) throw new Error("createApp needs config.jwtSecret (see resolveJwtSecret)");
  const database =
    options.database ??
    (config.databaseUrl
      ? await openDatabase({ driver: "postgres", url: config.databaseUrl })
      : await openDatabase({ driver: "pglite", dataDir: config.dataDir }));
  const ownsDatabase = options.database === undefined;
  const { applied } = await migrate(database.db);
  if (applied.length > 0) logger.info("database migrated", { driver: database.driver, applied });

  const chat = createChatServices({
    ...createRepositories(database.db),
    passwords: createPasswordHasher(options.passwordCost),
    tokens: createTokenService({ secret: jwtSecret }),
    notifier: notifyNobody,
  });

  const http = createHttpApp({
    frontendOrigins: config.frontendOrigins,
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
    fetch: http.fetch,
    database,
    chat,
    async close() {
      if (closed) return;
      closed = true;
      if (ownsDatabase) await database.close();
    },
  };
}
