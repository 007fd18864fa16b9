#!/usr/bin/env bun
// Entry point (also the compiled binary's): parses flags and config, builds the app, serves it
// with Bun.serve (REST and Socket.IO on one port), and shuts down gracefully on SIGTERM/SIGINT (stop
// accepting, disconnect sockets with "server shutting down", close the database, exit 0).
import packageJson from "../package.json" with { type: "json" };
import { ConfigError, loadConfig } from "./config.ts";
import { resolveJwtSecret } from "./auth/secret-file.ts";
import { databaseOptionsOf, openDatabase } from "./db/database.ts";
import { createLogger } from "./lib/logger.ts";

const HELP = `studyconnect ${packageJson.version}: the StudyConnect realtime server

Usage: studyconnect [--help | --version]

Configuration comes from the environment:
  PORT          port to listen on (default 5000; 0 picks a free one)
  HOST          address to bind (default 0.0.0.0)
  DATABASE_URL  postgres:// URL; unset uses the embedded PGlite database in DATA_DIR
  DATA_DIR      PGlite data directory and development secret (default ./data)
  JWT_SECRET    secret for signing tokens (>= 32 chars; required when NODE_ENV=production)
  FRONTEND_URL  allowed CORS origin(s), comma separated (default http://localhost:3000)
  LOG_LEVEL     debug | info | warn | error | silent (default info)
  NODE_ENV      development | production | test (default development)
`;

// How long a shutdown waits for REST requests in flight.
const SHUTDOWN_GRACE_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  if (argv.includes("--version") || argv.includes("-v")) {
    process.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  const unknown = argv.filter((arg) => arg.startsWith("-"));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown option: ${unknown.join(" ")}\n\n${HELP}`);
    return 2;
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  config.jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir, logger);
  // The database opens (PGlite boots in its worker) while the rest of the server loads.
  const database = openDatabase(databaseOptionsOf(config));
  const { createApp } = await import("./app.ts");
  const app = await createApp(config, logger, { database: await database, ownsDatabase: true });
  const server = Bun.serve({ port: config.port, hostname: config.host, ...app.serve });
  logger.info(`listening on http://${server.hostname}:${server.port}`, {
    database: app.database.driver === "pglite" ? `pglite:${config.dataDir}` : "postgres",
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    // No new connections; sockets are told "server shutting down"; REST requests in flight finish
    // (for a while) before the database closes under them.
    const draining = server.stop();
    await app.io.close();
    await Promise.race([draining, Bun.sleep(SHUTDOWN_GRACE_MS)]);
    await app.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return -1; // keep running
}

const code = await main(Bun.argv.slice(2));
if (code >= 0) process.exit(code);
