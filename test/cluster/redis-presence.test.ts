// The per-node connection counts in Redis (src/cluster/redis-presence.ts) against a real Redis: the
// shared store scenarios (presence-store-scenarios.ts).
import { afterAll, describe } from "bun:test";
import { createRedisPresence } from "../../src/cluster/redis-presence.ts";
import { presenceStoreScenarios } from "./presence-store-scenarios.ts";
import { redisAvailable, redisClient, uniqueKey } from "./support.ts";

const available = await redisAvailable("redis presence tests");
const redis = available ? redisClient() : undefined;
afterAll(() => redis?.disconnect());

async function nodes(timeoutMs = 60_000) {
  if (!redis) throw new Error("no Redis");
  const key = uniqueKey("counts");
  return [createRedisPresence(redis, { key, nodeId: "node-a", timeoutMs }), createRedisPresence(redis, { key, nodeId: "node-b", timeoutMs })] as const;
}

describe.skipIf(!available)("presence counts in Redis", () => {
  presenceStoreScenarios(nodes);
});
