// Presence across two application nodes on one Redis (issue 11 §2): the shared scenarios
// (app-presence-scenarios.ts), nodes on the suite's test database.
import { describe } from "bun:test";
import { startChat } from "../support/chat-client.ts";
import { clusterPresenceScenarios } from "./app-presence-scenarios.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const available = await redisAvailable("cluster presence tests");

const CLUSTER_ENV = { ADAPTER: "redis", DATABASE_URL: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/unused" };

describe.skipIf(!available)("presence across two nodes on Redis", () => {
  clusterPresenceScenarios(async () => {
    const clusterKey = uniqueKey("presence");
    return {
      start: () => startChat(CLUSTER_ENV, { clusterKey }),
      async [Symbol.asyncDispose]() {},
    };
  });
});
