// Configuration parsing: the seed's defaults, and one readable error naming every bad value.
import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("loadConfig", () => {
  test("defaults match the seed (port 5000, frontend on :3000, embedded database)", () => {
    const config = loadConfig({});
    expect(config.port).toBe(5000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe("./data");
    expect(config.frontendOrigins).toEqual(["http://localhost:3000"]);
    expect(config.logLevel).toBe("info");
    expect(config.jwtSecret).toBeUndefined();
    expect(config.production).toBe(false);
  });

  test("timeouts have safe defaults: connect 5 s, statement 5 s, idle 60 s, probe every 1 s within 1 s, shutdown 8 s", () => {
    expect(loadConfig({})).toMatchObject({
      dbConnectTimeoutMs: 5000,
      dbStatementTimeoutMs: 5000,
      dbIdleTimeoutMs: 60_000,
      dbHealthIntervalMs: 1000,
      dbHealthTimeoutMs: 1000,
      shutdownTimeoutMs: 8000,
    });
  });

  test("a bad timeout is refused with its range", () => {
    for (const [name, value] of [["DB_CONNECT_TIMEOUT_MS", "0"], ["DB_STATEMENT_TIMEOUT_MS", "5s"], ["SHUTDOWN_TIMEOUT_MS", "-1"], ["DB_HEALTH_INTERVAL_MS", "1.5"]] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name} must be a whole number of milliseconds between`));
    }
  });

  test("reads every variable", () => {
    const config = loadConfig({
      PORT: "8080",
      HOST: "127.0.0.1",
      DATABASE_URL: "postgres://u@db:5432/app",
      DATA_DIR: "/var/lib/sc",
      ADAPTER: "redis",
      REDIS_URL: "redis://cache:6380/2",
      JWT_SECRET: "x".repeat(40),
      JWT_LIFETIME_SECONDS: "3600",
      FRONTEND_URL: "https://a.example, https://b.example:8443",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      METRICS_TOKEN: "a-metrics-token-of-some-length",
      METRICS_PORT: "9464",
      METRICS_HOST: "127.0.0.1",
      NODE_ENV: "production",
      TRUST_PROXY: "10.0.0.2, ::1",
      LOGIN_FAILURES_PER_ACCOUNT: "5",
      LOGIN_FAILURES_PER_ADDRESS: "50",
      LOGIN_FAILURE_WINDOW_SECONDS: "60",
      SOCKET_EVENTS_PER_SECOND: "20",
      SOCKET_EVENT_BURST: "40",
      ROOMS_PER_SOCKET: "10",
      HANDSHAKES_PER_ADDRESS_PER_SECOND: "30",
      HANDSHAKE_BURST_PER_ADDRESS: "60",
      PENDING_CONNECTIONS_PER_ADDRESS: "90",
      DB_CONNECT_TIMEOUT_MS: "2000",
      DB_STATEMENT_TIMEOUT_MS: "3000",
      DB_IDLE_TIMEOUT_MS: "0",
      DB_HEALTH_INTERVAL_MS: "500",
      DB_HEALTH_TIMEOUT_MS: "400",
      SHUTDOWN_TIMEOUT_MS: "9000",
    });
    expect(config).toEqual({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: "postgres://u@db:5432/app",
      dataDir: "/var/lib/sc",
      adapter: "redis",
      redisUrl: "redis://cache:6380/2",
      jwtSecret: "x".repeat(40),
      jwtLifetimeSeconds: 3600,
      frontendOrigins: ["https://a.example", "https://b.example:8443"],
      logLevel: "warn",
      logFormat: "json",
      metrics: { token: "a-metrics-token-of-some-length", listen: { host: "127.0.0.1", port: 9464 } },
      production: true,
      trustedProxies: ["10.0.0.2", "::1"],
      limits: {
        loginFailuresPerAccount: 5,
        loginFailuresPerAddress: 50,
        loginFailureWindowMs: 60_000,
        socketEventsPerSecond: 20,
        socketEventBurst: 40,
        roomsPerSocket: 10,
        handshakesPerAddressPerSecond: 30,
        handshakeBurstPerAddress: 60,
        pendingConnectionsPerAddress: 90,
      },
      dbConnectTimeoutMs: 2000,
      dbStatementTimeoutMs: 3000,
      dbIdleTimeoutMs: 0,
      dbHealthIntervalMs: 500,
      dbHealthTimeoutMs: 400,
      shutdownTimeoutMs: 9000,
    });
  });

  test("limits have defaults generous enough for a school behind one address, and refuse nonsense", () => {
    expect(loadConfig({}).limits).toEqual({
      loginFailuresPerAccount: 10,
      loginFailuresPerAddress: 300,
      loginFailureWindowMs: 900_000,
      socketEventsPerSecond: 2000,
      socketEventBurst: 2000,
      roomsPerSocket: 200,
      handshakesPerAddressPerSecond: 1000,
      handshakeBurstPerAddress: 1000,
      pendingConnectionsPerAddress: 1000,
    });
    expect(() => loadConfig({ ROOMS_PER_SOCKET: "0" })).toThrow("ROOMS_PER_SOCKET must be an integer between 1 and 100000");
    expect(() => loadConfig({ TRUST_PROXY: "proxy.example" })).toThrow("TRUST_PROXY must be one or more IP addresses");
  });

  test("tokens last 7 days unless JWT_LIFETIME_SECONDS says otherwise (1 s to a year)", () => {
    expect(loadConfig({}).jwtLifetimeSeconds).toBe(604_800);
    expect(loadConfig({ JWT_LIFETIME_SECONDS: "2" }).jwtLifetimeSeconds).toBe(2);
    expect(() => loadConfig({ JWT_LIFETIME_SECONDS: "0" })).toThrow("JWT_LIFETIME_SECONDS must be an integer between 1 and 31622400");
  });

  test("empty strings count as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).port).toBe(5000);
  });

  test("one error lists every bad value", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "70000", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud", FRONTEND_URL: "not a url" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("PORT must be an integer between 0 and 65535");
    expect(message).toContain("DATABASE_URL must be a postgres:// or postgresql:// URL");
    expect(message).toContain("LOG_LEVEL must be one of debug, info, warn, error, silent");
    expect(message).toContain("FRONTEND_URL must be one or more http(s) origins");
  });

  test.each([["abc"], ["-1"], ["1.5"], ["65536"]])("PORT=%s is refused", (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
  });

  test("a short JWT_SECRET is refused without echoing it", () => {
    expect(() => loadConfig({ JWT_SECRET: "short-secret" })).toThrow(/JWT_SECRET must be at least 32 characters$/m);
    expect(() => loadConfig({ JWT_SECRET: "short-secret" })).not.toThrow(/short-secret/);
  });

  test("the adapter is local unless ADAPTER says redis or postgres; REDIS_URL defaults to the local Redis", () => {
    expect(loadConfig({})).toMatchObject({ adapter: "local", redisUrl: "redis://127.0.0.1:6379" });
    expect(loadConfig({ ADAPTER: "postgres", DATABASE_URL: "postgres://db/app" })).toMatchObject({ adapter: "postgres", databaseUrl: "postgres://db/app" });
    expect(() => loadConfig({ ADAPTER: "kafka", DATABASE_URL: "postgres://db/app" })).toThrow("ADAPTER must be one of local, redis, postgres");
    expect(() => loadConfig({ ADAPTER: "redis", DATABASE_URL: "postgres://db/app", REDIS_URL: "http://cache" })).toThrow(
      "REDIS_URL must be a redis:// or rediss:// URL",
    );
  });

  test("a cluster adapter on the embedded PGlite database is refused, saying why", () => {
    expect(() => loadConfig({ ADAPTER: "redis" })).toThrow(/ADAPTER=redis needs DATABASE_URL: the embedded PGlite database belongs to one process/);
    expect(() => loadConfig({ ADAPTER: "postgres" })).toThrow(/ADAPTER=postgres needs DATABASE_URL: the embedded PGlite database belongs to one process/);
  });

  test("production refuses to start without JWT_SECRET", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET is required when NODE_ENV=production/);
  });
  test("logs are text and /metrics is open on PORT unless configured", () => {
    const config = loadConfig({});
    expect(config.logFormat).toBe("text");
    expect(config.metrics).toEqual({ token: undefined, listen: undefined });
  });

  test("LOG_FORMAT, METRICS_TOKEN, METRICS_PORT and METRICS_HOST are read (the host defaults to HOST)", () => {
    const token = "0123456789abcdef-metrics";
    expect(loadConfig({ LOG_FORMAT: "json", METRICS_TOKEN: token, METRICS_PORT: "9464" })).toMatchObject({
      logFormat: "json",
      metrics: { token, listen: { host: "0.0.0.0", port: 9464 } },
    });
    expect(loadConfig({ HOST: "10.0.0.5", METRICS_PORT: "9464", METRICS_HOST: "127.0.0.1" }).metrics.listen).toEqual({ host: "127.0.0.1", port: 9464 });
  });

  test("bad metrics and log settings are refused; a bad token is never echoed", () => {
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT must be one of text, json/);
    expect(() => loadConfig({ METRICS_PORT: "70000" })).toThrow(/METRICS_PORT must be an integer/);
    expect(() => loadConfig({ METRICS_HOST: "127.0.0.1" })).toThrow(/METRICS_HOST needs METRICS_PORT/);
    let message = "";
    try {
      loadConfig({ METRICS_TOKEN: "short secret" });
    } catch (error) {
      if (error instanceof ConfigError) message = error.message;
    }
    expect(message).toContain("METRICS_TOKEN must be at least 16 printable characters");
    expect(message).not.toContain("short secret");
  });
});
