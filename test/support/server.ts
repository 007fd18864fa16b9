// Starts the whole application on port 0 against the shared test database, for tests that speak
// HTTP (and later Socket.IO) to it. `await using server = await startTestServer()` stops it.
import { createApp, type App } from "../../src/app.ts";
import type { PasswordHashingCost } from "../../src/auth/passwords.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { testDatabase } from "./database.ts";

export type TestServer = {
  url: string;
  port: number;
  app: App;
  config: Config;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";

/** Argon2id still, but cheap: a suite registers hundreds of accounts. Production keeps Bun's defaults. */
export const TEST_PASSWORD_COST: PasswordHashingCost = { memoryCost: 1024, timeCost: 1 };

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "silent", ...env });
  const app = await createApp(config, silentLogger, { database: await testDatabase(), passwordCost: TEST_PASSWORD_COST });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const close = async () => {
    await server.stop(true);
    await app.close();
  };
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port ?? 0,
    app,
    config,
    close,
    [Symbol.asyncDispose]: close,
  };
}
