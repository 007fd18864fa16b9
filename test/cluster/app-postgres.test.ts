// The application with ADAPTER=postgres: two nodes on one database whose LISTEN/NOTIFY is the bus,
// users on different nodes. Room events, messages, DMs, typing and room:created reach across;
// start-up fails clearly when Postgres is not there.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { PostgresAdapter } from "../../src/socketio/index.ts";
import { startChat } from "../support/chat-client.ts";
import { testDatabase } from "../support/database.ts";
import { createFaultDatabase } from "../support/fault-database.ts";
import { rejectionOf } from "../support/promises.ts";
import { TEST_JWT_SECRET } from "../support/server.ts";
import { usersOnTwoNodes } from "./app-scenario.ts";
import { POSTGRES_URL, postgresAvailable, uniqueCluster } from "./postgres-support.ts";

const available = await postgresAvailable("application cluster tests on Postgres");

const CLUSTER_ENV = { ADAPTER: "postgres", DATABASE_URL: process.env.DATABASE_URL || POSTGRES_URL };

describe.skipIf(!available)("two application nodes on Postgres", () => {
  test("room:created, room:userJoined, message:received, dm:received and typing:update reach users on the other node", async () => {
    // Both nodes on a migrated database of their own, which is also the bus (cluster presence lives there).
    await using db = await createFaultDatabase();
    const { channelPrefix } = uniqueCluster("app");
    const env = { ADAPTER: "postgres", DATABASE_URL: db.directUrl };
    await using one = await startChat(env, { clusterKey: channelPrefix, ownDatabase: true });
    await using two = await startChat(env, { clusterKey: channelPrefix, ownDatabase: true });
    const adapters = [one.server.app.io.of("/").adapter, two.server.app.io.of("/").adapter];
    for (const adapter of adapters) if (adapter instanceof PostgresAdapter) await adapter.whenServerCount(2);
    expect(await Promise.all(adapters.map((adapter) => adapter.serverCount()))).toEqual([2, 2]);
    await usersOnTwoNodes(one, two);
  });
});

test("ADAPTER=postgres without a reachable Postgres: start-up fails saying so", async () => {
  const config = loadConfig({ ...CLUSTER_ENV, NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", DB_CONNECT_TIMEOUT_MS: "500" });
  const error = await rejectionOf(createApp(config, silentLogger, { database: await testDatabase(), clearStalePresence: false }));
  expect(String(error)).toContain("Postgres not reachable at 127.0.0.1:1 (ADAPTER=postgres)");
});
