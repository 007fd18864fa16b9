// One application node in a child process, for tests that kill it without a shutdown (kill -9):
// `bun node-process.ts <DATABASE_URL> <cluster key> <presence heartbeat ms> [redis|postgres]`; prints its URL.
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD_COST } from "../support/server.ts";

const [databaseUrl = "", clusterKey = "", heartbeat = "5000", adapter = "redis"] = Bun.argv.slice(2);
const config = loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "silent", ADAPTER: adapter, DATABASE_URL: databaseUrl });
const app = await createApp(config, silentLogger, { passwordCost: TEST_PASSWORD_COST, clusterKey, presenceHeartbeatMs: Number(heartbeat) });
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...app.serve });
console.log(`listening on http://127.0.0.1:${server.port}`);
