// Per-node connection counts in Redis, for presence across a cluster: each node owns one hash
// (user → its open connections) and a heartbeat in a sorted set. A user is online while any live
// node counts them. Every step is one Lua script, so totals, ownership and reaping are atomic.
import type Redis from "ioredis";
import type { ClusterPresenceChange } from "../chat/ports.ts";
import type { ClusterPresenceStore, PresenceStoreOptions, ResyncedUser } from "./presence-store.ts";

// Shared Lua: the cluster's instant (Redis' clock, strictly increasing, so changes order by it) and
// a user's total over the live nodes. KEYS[1] nodes zset, KEYS[2] last stamp; ARGV[1] hash prefix.
const COMMON = `
local function stamp()
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now <= last then now = last + 1 end
  redis.call('SET', KEYS[2], now)
  return now
end
local function total(user)
  local sum = 0
  for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    sum = sum + tonumber(redis.call('HGET', ARGV[1] .. node, user) or '0')
  end
  return sum
end
`;

// ARGV[2] node, ARGV[3] user, ARGV[4] count. Nil when the node is not registered.
const SET = `${COMMON}
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return nil end
local before = total(ARGV[3])
local count = tonumber(ARGV[4])
if count > 0 then redis.call('HSET', ARGV[1] .. ARGV[2], ARGV[3], count) else redis.call('HDEL', ARGV[1] .. ARGV[2], ARGV[3]) end
return {stamp(), before, total(ARGV[3])}`;

// ARGV[2] node, ARGV[3] count of pairs, then user/count pairs, then users to report anyway.
// Replaces the node's hash with its real counts and registers it; reports every user whose total
// may have moved: those it had, those it has, and those asked for.
const REGISTER = `${COMMON}
local own = ARGV[1] .. ARGV[2]
local users, seen = {}, {}
local function note(user) if not seen[user] then seen[user] = true; users[#users + 1] = user end end
for _, user in ipairs(redis.call('HKEYS', own)) do note(user) end
local pairs_end = 3 + 2 * tonumber(ARGV[3])
for i = 4, pairs_end, 2 do note(ARGV[i]) end
for i = pairs_end + 1, #ARGV do note(ARGV[i]) end
local before = {}
for i, user in ipairs(users) do before[i] = total(user) end
redis.call('DEL', own)
for i = 4, pairs_end, 2 do redis.call('HSET', own, ARGV[i], ARGV[i + 1]) end
local now = stamp()
redis.call('ZADD', KEYS[1], now, ARGV[2])
local out = {now}
for i, user in ipairs(users) do
  out[#out + 1] = user; out[#out + 1] = before[i]; out[#out + 1] = total(user)
end
return out`;

// ARGV[2] node. 0 when the node is not registered (it was presumed dead: it must register again).
const HEARTBEAT = `${COMMON}
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], stamp(), ARGV[2])
return 1`;

// ARGV[2] node (never reaps itself), ARGV[3] timeout ms. Removes the dead nodes and their counts;
// answers the instant and the users no live node counts any more. Atomic: one reaper per death.
const REAP = `${COMMON}
local now = stamp()
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
local users, seen = {}, {}
for _, node in ipairs(dead) do
  if node ~= ARGV[2] then
    for _, user in ipairs(redis.call('HKEYS', ARGV[1] .. node)) do
      if not seen[user] then seen[user] = true; users[#users + 1] = user end
    end
    redis.call('DEL', ARGV[1] .. node)
    redis.call('ZREM', KEYS[1], node)
  end
end
local out = {now}
for _, user in ipairs(users) do if total(user) == 0 then out[#out + 1] = user end end
return out`;

// Users some live node counts.
const ONLINE = `
local users, seen = {}, {}
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  for _, user in ipairs(redis.call('HKEYS', ARGV[1] .. node)) do
    if not seen[user] then seen[user] = true; users[#users + 1] = user end
  end
end
local t = redis.call('TIME')
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), users}`;

// ARGV[2] node: a graceful goodbye (its sockets are closed, so its counts are gone already).
const LEAVE = `redis.call('DEL', ARGV[1] .. ARGV[2]); redis.call('ZREM', KEYS[1], ARGV[2]); return 1`;

export function createRedisPresence(redis: Redis, { key, nodeId, timeoutMs }: PresenceStoreOptions): ClusterPresenceStore {
  const base = `${key}#presence#`;
  const keys = [`${base}nodes`, `${base}stamp`] as const;
  const hashPrefix = `${base}node#`;
  const run = (script: string, ...args: (string | number)[]): Promise<unknown> => redis.eval(script, keys.length, ...keys, hashPrefix, ...args);

  return {
    nodeId,

    async set(userId: string, connections: number): Promise<ClusterPresenceChange | undefined> {
      const reply = await run(SET, nodeId, userId, connections);
      if (reply === null) return undefined;
      const [at = 0, before = 0, after = 0] = numbers(reply, 3);
      return { at: new Date(at), before, after };
    },

    /** Registers this node with its real counts; answers the users whose totals may have moved. */
    async register(counts: ReadonlyMap<string, number>, alsoReport: readonly string[]): Promise<{ at: Date; users: ResyncedUser[] }> {
      const pairs = [...counts].flatMap(([userId, count]) => [userId, count]);
      const reply = list(await run(REGISTER, nodeId, counts.size, ...pairs, ...alsoReport));
      const users: ResyncedUser[] = [];
      for (let i = 1; i + 2 < reply.length; i += 3) {
        users.push({ userId: String(reply[i]), before: Number(reply[i + 1]), after: Number(reply[i + 2]) });
      }
      return { at: new Date(Number(reply[0])), users };
    },

    /** False when this node is not registered (presumed dead by another): it must register again. */
    async heartbeat(): Promise<boolean> {
      return (await run(HEARTBEAT, nodeId)) === 1;
    },

    /** Removes the nodes whose heartbeat is older than the timeout; answers who is offline now. */
    async reap(): Promise<{ at: Date; offline: string[] }> {
      const reply = list(await run(REAP, nodeId, timeoutMs));
      return { at: new Date(Number(reply[0])), offline: reply.slice(1).map(String) };
    },

    /** Users some live node counts, and the Redis clock when asked. */
    async online(): Promise<{ at: Date; users: string[] }> {
      const [at, users] = list(await run(ONLINE));
      return { at: new Date(Number(at)), users: list(users).map(String) };
    },

    async leave(): Promise<void> {
      await run(LEAVE, nodeId);
    },
  };
}

function list(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected presence reply from Redis: ${JSON.stringify(reply)}`);
  return reply;
}

function numbers(reply: unknown, count: number): number[] {
  const values = list(reply).map(Number);
  if (values.length !== count || values.some((n) => !Number.isFinite(n))) throw new Error(`unexpected presence reply from Redis: ${JSON.stringify(reply)}`);
  return values;
}
