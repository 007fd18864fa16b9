// Composition root: the only place that chooses implementations. Opens the database the config
// names (PGlite or Postgres), migrates it, and wires the HTTP layer; returns what main.ts serves.
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate, pendingMigrations } from "./db/migrate.ts";
import { createHttpApp } from "./http/app.ts";
import type { Logger } from "./lib/logger.ts";

export type App = {
  fetch: (request: Request) => Response | Promise<Response>;
  database: Database;
  close(): Promise<void>;
};

export type AppOptions = {
  /** Use this database instead of opening the one the config names (tests share one). */
  database?: Database;
};

export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const database =
    options.database ??
    (config.databaseUrl
      ? await openDatabase({ driver: "postgres", url: config.databaseUrl })
      : await openDatabase({ driver: "pglite", dataDir: config.dataDir }));
  const ownsDatabase = options.database === undefined;
  const { applied } = await migrate(database.db);
  if (applied.length > 0) logger.info("database migrated", { driver: database.driver, applied });

  const http = createHttpApp({
    frontendOrigins: config.frontendOrigins,
    logger,
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
    async close() {
      if (closed) return;
      closed = true;
      if (ownsDatabase) await database.close();
    },
  };
}
