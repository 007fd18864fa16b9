// Cluster test support: whether Redis is there (tests skip with one line when not), and nodes of
// OUR server on one Redis under a key prefix of the test's own, each with its own pub/sub clients.
import Redis from "ioredis";
import { io as ioc } from "socket.io-client";
import { createRedisAdapter, RedisAdapter, type RedisAdapterOptions } from "../../src/adapter/index.ts";
import { Server, type ServerOptions, type Socket as ServerSocket } from "../../src/socketio/index.ts";
import { afterTestFile } from "../support/process-end.ts";
import { CLIENT_DEFAULTS, connected, waitFor, type ClientOptions, type ClientSocket } from "../support/sio-client.ts";

export const REDIS_URL = "redis://127.0.0.1:6379";

/** True when Redis answers PING within a second; otherwise prints the one line saying why tests skip. */
export async function redisAvailable(suite: string): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    console.warn(`skipping ${suite}: no Redis at 127.0.0.1:6379`);
    return false;
  } finally {
    probe.disconnect();
  }
}

const issuedKeys: string[] = [];

/**
 * A key prefix no other test run shares (runs may overlap on one Redis). What nodes leave under it
 * (presence stamps and node sets live without a TTL, as they should in production) is deleted after
 * the test file, so runs do not pile keys up in Redis.
 */
export function uniqueKey(name: string): string {
  const key = `test-${name}-${crypto.randomUUID().slice(0, 8)}`;
  if (issuedKeys.length === 0) afterTestFile(deleteIssuedKeys);
  issuedKeys.push(key);
  return key;
}

async function deleteIssuedKeys(): Promise<void> {
  const prefixes = issuedKeys.splice(0);
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    for (const prefix of prefixes) {
      // The prefix is ours (letters, digits, dashes): no glob characters to escape.
      for await (const keys of client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await client.unlink(...keys);
      }
    }
  } catch {
    // No Redis (its tests were skipped), or it went away: nothing to clean, or nothing more to do.
  } finally {
    client.disconnect();
  }
}

export function redisClient(): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  return client;
}

/** A served Server of ours: its URL, official clients connected to it, and a dispose that closes all. */
export type ServedNode = {
  io: Server;
  url: string;
  /** A connected official client of this node, and its server-side socket. */
  client(options?: ClientOptions): Promise<{ client: ClientSocket; socket: ServerSocket }>;
  [Symbol.asyncDispose](): Promise<void>;
};

export type Node = ServedNode & { pub: Redis; sub: Redis };

/** Serves `io` on port 0; disposing it disconnects its clients, closes it, then runs `release` (the bus clients). */
export function serveNode(io: Server, release: () => Promise<void> | void): ServedNode {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
  const url = `http://127.0.0.1:${server.port}`;
  const clients: ClientSocket[] = [];
  return {
    io,
    url,
    async client(options = { transports: ["websocket"] }) {
      const arrived = waitFor<[ServerSocket]>(io, "connection");
      const client = ioc(url, { ...CLIENT_DEFAULTS, ...options });
      clients.push(client);
      await connected(client);
      const [socket] = await arrived;
      return { client, socket };
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) {
        client.io.reconnection(false);
        client.disconnect();
      }
      await io.close();
      await server.stop(true);
      await release();
    },
  };
}

/** Our Server with the Redis adapter under `key`, served on port 0, listening to the bus before it is handed out. */
export async function startNode(
  key: string,
  options: Partial<RedisAdapterOptions> = {},
  setup: (io: Server) => void = () => {},
  serverOptions: Partial<ServerOptions> = {},
): Promise<Node> {
  const pub = redisClient();
  const sub = redisClient();
  const io = new Server({ pingInterval: 10_000, pingTimeout: 5_000, ...serverOptions, adapter: createRedisAdapter(pub, sub, { key, requestsTimeout: 2000, ...options }) });
  setup(io);
  const adapter = io.of("/").adapter;
  if (adapter instanceof RedisAdapter) await adapter.ready;
  const served = serveNode(io, () => {
    pub.disconnect();
    sub.disconnect();
  });
  return { ...served, pub, sub };
}
