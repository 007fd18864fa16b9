// The only reader of the process environment: validates it with valibot into a typed Config,
// with the seed's defaults, and one readable error message listing every bad value.
import * as v from "valibot";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const portSchema = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^\d+$/, "must be an integer between 0 and 65535"),
  v.transform(Number),
  v.maxValue(65535, "must be an integer between 0 and 65535"),
);

const postgresUrl = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// or postgresql:// URL"),
);

const redisUrl = v.pipe(v.string(), v.trim(), v.regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL"));

/** Realtime adapters: one node, or several sharing Redis pub/sub or Postgres LISTEN/NOTIFY (README "Running several nodes"). */
export const ADAPTERS = ["local", "redis", "postgres"] as const;
export type AdapterKind = (typeof ADAPTERS)[number];

const httpOrigin = v.pipe(
  v.string(),
  v.trim(),
  v.check((s) => s.split(",").every((o) => /^https?:\/\/[^\s/]+$/.test(o.trim())), "must be one or more http(s) origins separated by commas, without a path"),
  v.transform((s) => s.split(",").map((o) => o.trim())),
);

/** A whole number within [min, max], given as text. */
const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, `must be an integer between ${min} and ${max}`),
    v.transform(Number),
    v.minValue(min, `must be an integer between ${min} and ${max}`),
    v.maxValue(max, `must be an integer between ${min} and ${max}`),
  );

// IPv4 dotted quads or IPv6 (hex groups, "::", an embedded IPv4 tail); no ranges, no names.
const IP_ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;
const proxyList = v.pipe(
  v.string(),
  v.trim(),
  v.check((s) => s.split(",").every((a) => IP_ADDRESS.test(a.trim())), "must be one or more IP addresses separated by commas"),
  v.transform((s) => s.split(",").map((a) => a.trim())),
);

/** Milliseconds between `min` and `max`, given as an integer. */
const millis = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, `must be a whole number of milliseconds between ${min} and ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number of milliseconds between ${min} and ${max}`),
    v.maxValue(max, `must be a whole number of milliseconds between ${min} and ${max}`),
  );

const HOUR_MS = 3_600_000;

/** Defaults of the timeouts (README "Configuration" says why each is what it is). */
export const TIMEOUT_DEFAULTS = {
  DB_CONNECT_TIMEOUT_MS: "5000",
  DB_STATEMENT_TIMEOUT_MS: "5000",
  DB_IDLE_TIMEOUT_MS: "60000",
  DB_HEALTH_INTERVAL_MS: "1000",
  DB_HEALTH_TIMEOUT_MS: "1000",
  SHUTDOWN_TIMEOUT_MS: "8000",
} as const;

const envSchema = v.object({
  PORT: v.optional(portSchema, "5000"),
  HOST: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty")), "0.0.0.0"),
  DATABASE_URL: v.optional(postgresUrl),
  DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty")), "./data"),
  ADAPTER: v.optional(v.picklist(ADAPTERS, `must be one of ${ADAPTERS.join(", ")}`), "local"),
  REDIS_URL: v.optional(redisUrl, "redis://127.0.0.1:6379"),
  JWT_SECRET: v.optional(v.pipe(v.string(), v.minLength(32, "must be at least 32 characters"))),
  // Up to a year; short ones are for trying what a client does when its session ends.
  JWT_LIFETIME_SECONDS: v.optional(integer(1, 366 * 86_400), String(7 * 86_400)),
  FRONTEND_URL: v.optional(httpOrigin, "http://localhost:3000"),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`), "info"),
  LOG_FORMAT: v.optional(v.picklist(LOG_FORMATS, `must be one of ${LOG_FORMATS.join(", ")}`), "text"),
  METRICS_TOKEN: v.optional(
    v.pipe(v.string(), v.regex(/^[\x21-\x7e]{16,}$/, "must be at least 16 printable characters without spaces")),
  ),
  METRICS_PORT: v.optional(portSchema),
  METRICS_HOST: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty"))),
  NODE_ENV: v.optional(v.picklist(["development", "production", "test"], "must be development, production or test"), "development"),
  TRUST_PROXY: v.optional(proxyList),
  LOGIN_FAILURES_PER_ACCOUNT: v.optional(integer(1, 1_000_000), "10"),
  LOGIN_FAILURES_PER_ADDRESS: v.optional(integer(1, 1_000_000), "300"),
  LOGIN_FAILURE_WINDOW_SECONDS: v.optional(integer(1, 86_400), "900"),
  SOCKET_EVENTS_PER_SECOND: v.optional(integer(1, 1_000_000), "2000"),
  SOCKET_EVENT_BURST: v.optional(integer(1, 1_000_000), "2000"),
  ROOMS_PER_SOCKET: v.optional(integer(1, 100_000), "200"),
  HANDSHAKES_PER_ADDRESS_PER_SECOND: v.optional(integer(1, 1_000_000), "1000"),
  HANDSHAKE_BURST_PER_ADDRESS: v.optional(integer(1, 1_000_000), "1000"),
  PENDING_CONNECTIONS_PER_ADDRESS: v.optional(integer(1, 1_000_000), "1000"),
  DB_CONNECT_TIMEOUT_MS: v.optional(millis(100, 600_000), TIMEOUT_DEFAULTS.DB_CONNECT_TIMEOUT_MS),
  DB_STATEMENT_TIMEOUT_MS: v.optional(millis(100, HOUR_MS), TIMEOUT_DEFAULTS.DB_STATEMENT_TIMEOUT_MS),
  DB_IDLE_TIMEOUT_MS: v.optional(millis(0, 24 * HOUR_MS), TIMEOUT_DEFAULTS.DB_IDLE_TIMEOUT_MS),
  DB_HEALTH_INTERVAL_MS: v.optional(millis(100, 600_000), TIMEOUT_DEFAULTS.DB_HEALTH_INTERVAL_MS),
  DB_HEALTH_TIMEOUT_MS: v.optional(millis(50, 600_000), TIMEOUT_DEFAULTS.DB_HEALTH_TIMEOUT_MS),
  SHUTDOWN_TIMEOUT_MS: v.optional(millis(0, HOUR_MS), TIMEOUT_DEFAULTS.SHUTDOWN_TIMEOUT_MS),
});

/** Abuse limits (README "Limits"): each generous enough for a school behind one NAT address. */
export type Limits = {
  /** Failed logins for one account within the window before it answers 429 until the window ends. */
  loginFailuresPerAccount: number;
  /** Failed logins from one client address within the window (one NAT may hold hundreds of students). */
  loginFailuresPerAddress: number;
  loginFailureWindowMs: number;
  /** Client events a socket may send per second, on top of the in-flight cap, and its burst. */
  socketEventsPerSecond: number;
  socketEventBurst: number;
  /** Study rooms one socket may have joined at once. */
  roomsPerSocket: number;
  /** New connections (Engine.IO handshakes) one client address may open per second, and at once. */
  handshakesPerAddressPerSecond: number;
  handshakeBurstPerAddress: number;
  /** Connections of one address not yet signed in (no accepted Socket.IO CONNECT) at once. */
  pendingConnectionsPerAddress: number;
};

export type Config = {
  port: number;
  host: string;
  /** Postgres connection string; undefined selects the embedded PGlite database. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Where broadcasts and room membership live: this node only, or a cluster over Redis or Postgres. */
  adapter: AdapterKind;
  /** The Redis of the cluster (ADAPTER=redis). */
  redisUrl: string;
  /** Undefined until resolved: see resolveJwtSecret in src/auth/secret-file.ts. */
  jwtSecret: string | undefined;
  /** How long issued tokens are valid; a socket is disconnected when its token expires. */
  jwtLifetimeSeconds: number;
  frontendOrigins: string[];
  logLevel: LogLevel;
  /** text: one readable line per entry; json: one JSON object per line (level, time, msg, fields). */
  logFormat: LogFormat;
  /** GET /metrics: the bearer token it requires (undefined: open), and where it is served. */
  metrics: MetricsConfig;
  production: boolean;
  /** Proxies whose X-Forwarded-For is believed for the client address (none: the socket's peer). */
  trustedProxies: string[];
  limits: Limits;
  /** Postgres: how long opening a connection may take (start-up with an unreachable database fails after it). */
  dbConnectTimeoutMs: number;
  /**
   * How long one statement may run: Postgres cancels it (statement_timeout); a database call still
   * unanswered a second later fails with UNAVAILABLE, and Postgres connections silent that long are replaced.
   */
  dbStatementTimeoutMs: number;
  /** Postgres: pooled connections idle this long are closed (0: never). */
  dbIdleTimeoutMs: number;
  /** How often the database is probed in the background (/readyz and failing fast answer from the last probe). */
  dbHealthIntervalMs: number;
  /** How long one probe may take before the database counts as unreachable. */
  dbHealthTimeoutMs: number;
  /** How long a graceful shutdown waits, in all, for work in flight before it closes what is left. */
  shutdownTimeoutMs: number;
};

export type MetricsConfig = {
  token: string | undefined;
  /** Undefined: /metrics is served on the main port; else on a listener of its own at host:port. */
  listen: { host: string; port: number } | undefined;
};

/** Every environment variable the server reads (`--help` documents each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.entries);

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses an environment (process.env by default). Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as in most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = v.safeParse(envSchema, present);
  if (!parsed.success) {
    const lines = parsed.issues.map((issue) => {
      const key = v.getDotPath(issue) ?? "environment";
      // Secrets are never echoed, not even when malformed.
      const got = typeof issue.input === "string" && key !== "JWT_SECRET" && key !== "METRICS_TOKEN" ? ` (got "${issue.input}")` : "";
      return `  ${key} ${issue.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const out = parsed.output;
  const production = out.NODE_ENV === "production";
  if (production && out.JWT_SECRET === undefined) {
    throw new ConfigError("Invalid configuration:\n  JWT_SECRET is required when NODE_ENV=production");
  }
  if (out.METRICS_HOST !== undefined && out.METRICS_PORT === undefined) {
    throw new ConfigError("Invalid configuration:\n  METRICS_HOST needs METRICS_PORT (without it /metrics is served on PORT)");
  }
  // PGlite is one process's own database: nodes of a cluster could not share users, rooms or messages.
  if (out.ADAPTER !== "local" && out.DATABASE_URL === undefined) {
    throw new ConfigError(
      `Invalid configuration:\n  ADAPTER=${out.ADAPTER} needs DATABASE_URL: the embedded PGlite database belongs to one process, so several nodes need a shared PostgreSQL`,
    );
  }
  return {
    port: out.PORT,
    host: out.HOST,
    databaseUrl: out.DATABASE_URL,
    dataDir: out.DATA_DIR,
    adapter: out.ADAPTER,
    redisUrl: out.REDIS_URL,
    jwtSecret: out.JWT_SECRET,
    jwtLifetimeSeconds: out.JWT_LIFETIME_SECONDS,
    frontendOrigins: out.FRONTEND_URL,
    logLevel: out.LOG_LEVEL,
    logFormat: out.LOG_FORMAT,
    metrics: {
      token: out.METRICS_TOKEN,
      listen: out.METRICS_PORT === undefined ? undefined : { host: out.METRICS_HOST ?? out.HOST, port: out.METRICS_PORT },
    },
    production,
    trustedProxies: out.TRUST_PROXY ?? [],
    limits: {
      loginFailuresPerAccount: out.LOGIN_FAILURES_PER_ACCOUNT,
      loginFailuresPerAddress: out.LOGIN_FAILURES_PER_ADDRESS,
      loginFailureWindowMs: out.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
      socketEventsPerSecond: out.SOCKET_EVENTS_PER_SECOND,
      socketEventBurst: out.SOCKET_EVENT_BURST,
      roomsPerSocket: out.ROOMS_PER_SOCKET,
      handshakesPerAddressPerSecond: out.HANDSHAKES_PER_ADDRESS_PER_SECOND,
      handshakeBurstPerAddress: out.HANDSHAKE_BURST_PER_ADDRESS,
      pendingConnectionsPerAddress: out.PENDING_CONNECTIONS_PER_ADDRESS,
    },
    dbConnectTimeoutMs: out.DB_CONNECT_TIMEOUT_MS,
    dbStatementTimeoutMs: out.DB_STATEMENT_TIMEOUT_MS,
    dbIdleTimeoutMs: out.DB_IDLE_TIMEOUT_MS,
    dbHealthIntervalMs: out.DB_HEALTH_INTERVAL_MS,
    dbHealthTimeoutMs: out.DB_HEALTH_TIMEOUT_MS,
    shutdownTimeoutMs: out.SHUTDOWN_TIMEOUT_MS,
  };
}
