// The application with ADAPTER=redis: two nodes on one database and one Redis, users on different
// nodes. Room events, messages, DMs, typing and room:created reach across; start-up fails clearly
// when Redis is not there. (Presence across nodes: app-presence.test.ts; outages: bus-outage.test.ts.)
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { startChat } from "../support/chat-client.ts";
import { testDatabase } from "../support/database.ts";
import { rejectionOf } from "../support/promises.ts";
import { TEST_JWT_SECRET } from "../support/server.ts";
import { usersOnTwoNodes } from "./app-scenario.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const available = await redisAvailable("application cluster tests");

// Both nodes use the suite's shared test database (handed to createApp); the config only has to
// name a Postgres, as a cluster needs one.
const CLUSTER_ENV = { ADAPTER: "redis", DATABASE_URL: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/unused" };

describe.skipIf(!available)("two application nodes on Redis", () => {
  test("room:created, room:userJoined, message:received, dm:received and typing:update reach users on the other node", async () => {
    const clusterKey = uniqueKey("app");
    await using one = await startChat(CLUSTER_ENV, { clusterKey });
    await using two = await startChat(CLUSTER_ENV, { clusterKey });
    await usersOnTwoNodes(one, two);
  });
});

test("ADAPTER=redis without a reachable Redis: start-up fails saying so", async () => {
  const config = loadConfig({ ...CLUSTER_ENV, NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: "redis://127.0.0.1:1" });
  const error = await rejectionOf(createApp(config, silentLogger, { database: await testDatabase(), clearStalePresence: false }));
  expect(String(error)).toContain("Redis not reachable at 127.0.0.1:1 (ADAPTER=redis)");
});
