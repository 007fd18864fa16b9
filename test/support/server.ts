// Starts the whole application (REST and Socket.IO on one port 0) against the shared test database,
// with socket.io-client connections made in one line. `await using server = await startTestServer()`
// closes the clients, the app (sockets, pending presence writes) and the HTTP server.
import { io as ioc } from "socket.io-client";
import { createApp, type App, type AppOptions } from "../../src/app.ts";
import type { PasswordHashingCost } from "../../src/auth/passwords.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { silentLogger, type Logger } from "../../src/lib/logger.ts";
import { testDatabase } from "./database.ts";
import { CLIENT_DEFAULTS, connected, type ClientOptions, type ClientSocket } from "./sio-client.ts";

export type TestServer = {
  /** http://127.0.0.1:<port>: the REST base URL, and the Socket.IO URL (path /socket.io) too. */
  url: string;
  port: number;
  app: App;
  config: Config;
  /** A socket.io-client socket with `auth: { token }` (not awaited; closed with the server). */
  socket(token: string | undefined, options?: ClientOptions): ClientSocket;
  /** The same, resolved once connected (rejects with the connect_error's message). */
  connect(token: string | undefined, options?: ClientOptions): Promise<ClientSocket>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

export type TestServerOptions = {
  /** Socket.IO timings and the typing expiry (AppOptions.realtime). */
  realtime?: AppOptions["realtime"];
  /** The app opens (and closes) the database its config names instead of the shared test one. */
  ownDatabase?: boolean;
  /** The app uses this database (the test closes it) instead of the shared test one; DATABASE_URL then serves the cluster bus alone. */
  database?: Database;
  /** Where the app logs (silent by default). */
  logger?: Logger;
  /** The event-loop lag sampling interval (AppOptions.lagIntervalMs). */
  lagIntervalMs?: number;
  /** The cluster channel prefix under ADAPTER=redis or postgres (AppOptions.clusterKey). */
  clusterKey?: string;
  /** Presence heartbeat under ADAPTER=redis (AppOptions.presenceHeartbeatMs). */
  presenceHeartbeatMs?: number;
};

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";

/** Argon2id still, but cheap: a suite registers hundreds of accounts. Production uses DEFAULT_PASSWORD_COST (OWASP: 19 MiB, t=2). */
export const TEST_PASSWORD_COST: PasswordHashingCost = { memoryCost: 1024, timeCost: 1 };

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "silent", ...env });
  const app = await createApp(config, options.logger ?? silentLogger, {
    database: options.ownDatabase ? undefined : (options.database ?? (await testDatabase())),
    passwordCost: TEST_PASSWORD_COST,
    realtime: options.realtime,
    lagIntervalMs: options.lagIntervalMs,
    clusterKey: options.clusterKey,
    presenceHeartbeatMs: options.presenceHeartbeatMs,
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...app.serve });
  const url = `http://127.0.0.1:${server.port}`;
  const clients: ClientSocket[] = [];
  const socket = (token: string | undefined, clientOptions: ClientOptions = {}): ClientSocket => {
    const client = ioc(url, { ...CLIENT_DEFAULTS, ...(token === undefined ? {} : { auth: { token } }), ...clientOptions });
    clients.push(client);
    return client;
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const client of clients) {
      client.io.reconnection(false);
      client.disconnect();
    }
    try {
      await app.close();
    } finally {
      await server.stop(true);
    }
  };
  return {
    url,
    port: server.port ?? 0,
    app,
    config,
    socket,
    connect: (token, clientOptions) => connected(socket(token, clientOptions)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
