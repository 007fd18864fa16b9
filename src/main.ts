#!/usr/bin/env bun
// Entry point (also the compiled binary's): parses flags and config, builds the app, serves it
// with Bun.serve (REST and Socket.IO on one port), and shuts down gracefully on SIGTERM/SIGINT (app.close:
// answer events in flight, disconnect sockets with "server shutting down", close the database, exit 0),
// within SHUTDOWN_TIMEOUT_MS. A start-up that fails (database unreachable, DATA_DIR in use) exits 1 with one line.
import packageJson from "../package.json" with { type: "json" };
import { ConfigError, loadConfig, TIMEOUT_DEFAULTS } from "./config.ts";
import { resolveJwtSecret } from "./auth/secret-file.ts";
import { DataDirectoryInUseError } from "./db/data-dir-lock.ts";
import { outageCodeOf } from "./db/outage.ts";
import { startPgliteWorkerEarly } from "./db/pglite-worker-start.ts";
import { describeError } from "./lib/error-cause.ts";
import { createLogger, type Logger } from "./lib/logger.ts";
import { epochNow, sinceProcessStart } from "./lib/startup-trace.ts";
import type { App } from "./app.ts";

// When this module's own code starts: what came before is Bun's start and loading the imports above.
const entered = epochNow();

const HELP = `studyconnect ${packageJson.version}: the StudyConnect realtime server

Usage: studyconnect [--help | --version]

Configuration comes from the environment:
  PORT          port to listen on (default 5000; 0 picks a free one)
  HOST          address to bind (default 0.0.0.0)
  DATABASE_URL  postgres:// URL; unset uses the embedded PGlite database in DATA_DIR
  DATA_DIR      PGlite data directory and development secret (default ./data)
  JWT_SECRET    secret for signing tokens (>= 32 chars; required when NODE_ENV=production)
  JWT_LIFETIME_SECONDS  how long issued tokens are valid (default 604800, 7 days)
  FRONTEND_URL  allowed CORS origin(s), comma separated (default http://localhost:3000)
  LOG_LEVEL     debug | info | warn | error | silent (default info)
  LOG_FORMAT    text | json: json writes one JSON object per line (default text)
  METRICS_TOKEN bearer token GET /metrics requires (>= 16 chars); unset: /metrics is open
  METRICS_PORT  serve /metrics on this port instead of PORT (0 picks a free one)
  METRICS_HOST  address for METRICS_PORT (default HOST; e.g. 127.0.0.1 for local scrapers only)
  NODE_ENV      development | production | test (default development)
  ADAPTER       local | redis | postgres: how nodes share rooms and broadcasts (default local; redis and postgres need DATABASE_URL)
  REDIS_URL     the Redis of ADAPTER=redis (default redis://127.0.0.1:6379)
  TRUST_PROXY   proxy addresses whose X-Forwarded-For names the client, comma separated (default none)
Limits (README "Limits"):
  LOGIN_FAILURES_PER_ACCOUNT / LOGIN_FAILURES_PER_ADDRESS  failed logins before 429 (default 10 / 300)
  LOGIN_FAILURE_WINDOW_SECONDS       how long failed logins count (default 900)
  SOCKET_EVENTS_PER_SECOND / SOCKET_EVENT_BURST  events per socket, token bucket (default 2000 / 2000)
  ROOMS_PER_SOCKET                   rooms one connection may join (default 200)
  HANDSHAKES_PER_ADDRESS_PER_SECOND / HANDSHAKE_BURST_PER_ADDRESS  new connections per address (default 1000 / 1000)
  PENDING_CONNECTIONS_PER_ADDRESS    connections per address not yet signed in (default 1000)
Timeouts:
  DB_CONNECT_TIMEOUT_MS    Postgres connect timeout (default ${TIMEOUT_DEFAULTS.DB_CONNECT_TIMEOUT_MS})
  DB_STATEMENT_TIMEOUT_MS  longest a statement may run (default ${TIMEOUT_DEFAULTS.DB_STATEMENT_TIMEOUT_MS})
  DB_IDLE_TIMEOUT_MS       idle Postgres connections are closed after it; 0 never (default ${TIMEOUT_DEFAULTS.DB_IDLE_TIMEOUT_MS})
  DB_HEALTH_INTERVAL_MS    time between database health probes (default ${TIMEOUT_DEFAULTS.DB_HEALTH_INTERVAL_MS})
  DB_HEALTH_TIMEOUT_MS     a slower probe counts as failed (default ${TIMEOUT_DEFAULTS.DB_HEALTH_TIMEOUT_MS})
  SHUTDOWN_TIMEOUT_MS      longest a graceful shutdown waits for work in flight (default ${TIMEOUT_DEFAULTS.SHUTDOWN_TIMEOUT_MS})
`;

// Past the shutdown timeout, the database close and the exit get this long before the process exits anyway.
const SHUTDOWN_BACKSTOP_MARGIN_MS = 1500;

/** The one line a failed start-up prints: what went wrong, in the driver's words for the database. */
function startupFailure(error: unknown): string {
  if (error instanceof DataDirectoryInUseError) return error.message;
  const cause = describeError(error);
  return outageCodeOf(error) === undefined ? cause : `the database is unreachable: ${cause}`;
}

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
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const phase = startupTrace(logger);
  phase("main module entered", entered);
  // On PGlite (no DATABASE_URL: databaseOptionsOf) its worker starts compiling the wasm now, before
  // Drizzle and the rest of the server load (main.ts imports nothing heavy statically for this).
  if (!config.databaseUrl) startPgliteWorkerEarly();
  config.jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir, logger);
  const { databaseOptionsOf, openDatabase } = await import("./db/database.ts");
  // The database opens (PGlite boots in its worker) while the rest of the server loads; a PGlite
  // DATA_DIR is locked at this call already. A failure is reported below, once.
  const database = openDatabase(databaseOptionsOf(config));
  database.catch(() => {});
  phase("database open requested");
  let app: App;
  try {
    const { createApp } = await import("./app.ts");
    phase("app module loaded");
    const opened = await database;
    for (const step of opened.startupPhases ?? []) phase(step.phase, step.at);
    phase("database open");
    app = await createApp(config, logger, { database: opened, ownsDatabase: true });
    phase("app created");
  } catch (error) {
    logger.error(`cannot start: ${startupFailure(error)}`);
    return 1;
  }
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ port: config.port, hostname: config.host, ...app.serve });
  } catch (error) {
    // E.g. the port is taken: one line too, and the database is closed properly.
    logger.error(`cannot start: cannot listen on ${config.host}:${config.port}: ${describeError(error)}`);
    await app.close();
    return 1;
  }
  let metricsServer: ReturnType<typeof Bun.serve> | undefined;
  const metricsListen = config.metrics.listen;
  if (app.metricsServe && metricsListen) {
    try {
      metricsServer = Bun.serve({ port: metricsListen.port, hostname: metricsListen.host, fetch: app.metricsServe.fetch });
    } catch (error) {
      logger.error(`cannot start: cannot listen for metrics on ${metricsListen.host}:${metricsListen.port}: ${describeError(error)}`);
      void server.stop(true);
      await app.close();
      return 1;
    }
  }
  phase("listening");
  logger.info(`listening on http://${server.hostname}:${server.port}`, {
    database: app.database.driver === "pglite" ? `pglite:${config.dataDir}` : "postgres",
    metrics: metricsServer ? `http://${metricsServer.hostname}:${metricsServer.port}/metrics` : "/metrics",
    metricsAuth: config.metrics.token === undefined ? "open" : "bearer",
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} received again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    // Every step of app.close() is bounded; this bounds the process whatever happens anyway.
    setTimeout(() => {
      logger.error("shutdown did not finish in time: exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + SHUTDOWN_BACKSTOP_MARGIN_MS).unref();
    // Events in flight are answered, then sockets close; the server keeps listening until then, so
    // long-polling clients can still fetch their acks; then it stops and REST requests in flight finish.
    await app.close({ stopServer: () => server.stop() });
    void server.stop(true);
    void metricsServer?.stop(true);
    logger.info("shut down");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return -1; // keep running
}

/** Logs a start-up phase at debug level, as ms since the process started (`bun run bench:startup`). */
function startupTrace(logger: Logger): (name: string, at?: number) => void {
  return (name, at = epochNow()) => logger.debug(`start-up: ${name}`, { atMs: sinceProcessStart(at) });
}

const code = await main(Bun.argv.slice(2));
if (code >= 0) process.exit(code);
