// The only reader of the process environment: validates it with valibot into a typed Config,
// with the seed's defaults, and one readable error message listing every bad value.
import * as v from "valibot";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

const envSchema = v.object({
  PORT: v.optional(portSchema, "5000"),
  HOST: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty")), "0.0.0.0"),
  DATABASE_URL: v.optional(postgresUrl),
  DATA_DIR: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty("must not be empty")), "./data"),
  JWT_SECRET: v.optional(v.pipe(v.string(), v.minLength(32, "must be at least 32 characters"))),
  FRONTEND_URL: v.optional(httpOrigin, "http://localhost:3000"),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`), "info"),
  NODE_ENV: v.optional(v.picklist(["development", "production", "test"], "must be development, production or test"), "development"),
  TRUST_PROXY: v.optional(proxyList),
  LOGIN_FAILURES_PER_ACCOUNT: v.optional(integer(1, 1_000_000), "10"),
  LOGIN_FAILURES_PER_ADDRESS: v.optional(integer(1, 1_000_000), "300"),
  LOGIN_FAILURE_WINDOW_SECONDS: v.optional(integer(1, 86_400), "900"),
  SOCKET_EVENTS_PER_SECOND: v.optional(integer(1, 1_000_000), "1000"),
  SOCKET_EVENT_BURST: v.optional(integer(1, 1_000_000), "1000"),
  ROOMS_PER_SOCKET: v.optional(integer(1, 100_000), "200"),
  HANDSHAKES_PER_ADDRESS_PER_SECOND: v.optional(integer(1, 1_000_000), "1000"),
  HANDSHAKE_BURST_PER_ADDRESS: v.optional(integer(1, 1_000_000), "1000"),
  PENDING_CONNECTIONS_PER_ADDRESS: v.optional(integer(1, 1_000_000), "1000"),
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
  /** Undefined until resolved: see resolveJwtSecret in src/auth/secret-file.ts. */
  jwtSecret: string | undefined;
  frontendOrigins: string[];
  logLevel: LogLevel;
  production: boolean;
  /** Proxies whose X-Forwarded-For is believed for the client address (none: the socket's peer). */
  trustedProxies: string[];
  limits: Limits;
};

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
      const got = typeof issue.input === "string" && key !== "JWT_SECRET" ? ` (got "${issue.input}")` : "";
      return `  ${key} ${issue.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const out = parsed.output;
  const production = out.NODE_ENV === "production";
  if (production && out.JWT_SECRET === undefined) {
    throw new ConfigError("Invalid configuration:\n  JWT_SECRET is required when NODE_ENV=production");
  }
  return {
    port: out.PORT,
    host: out.HOST,
    databaseUrl: out.DATABASE_URL,
    dataDir: out.DATA_DIR,
    jwtSecret: out.JWT_SECRET,
    frontendOrigins: out.FRONTEND_URL,
    logLevel: out.LOG_LEVEL,
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
  };
}
