// One bare Socket.IO node of ours with connection state recovery in a child process, for the tests
// that kill it without a shutdown (kill -9): `bun recovery-node-process.ts <config JSON>` (see
// CrashNodeConfig); on first connection a socket joins "room" and "solo" and gets data; SIGTERM shuts it
// down cleanly. Prints its URL.
import postgres from "postgres";
import { createPostgresAdapter, createRedisAdapter, type AdapterFactory } from "../../src/adapter/index.ts";
import { Server } from "../../src/socketio/index.ts";
import { redisClient } from "./support.ts";

export type CrashNodeConfig = {
  driver: "redis" | "postgres";
  /** Redis key prefix, or the Postgres cluster's channel prefix and tables. */
  key: string;
  tableName: string;
  sessionTableName: string;
  window: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  postgresUrl: string;
};

const config = JSON.parse(Bun.argv[2] ?? "{}") as CrashNodeConfig;
const adapter: AdapterFactory =
  config.driver === "redis"
    ? createRedisAdapter(redisClient(), redisClient(), { key: config.key, requestsTimeout: 2000 })
    : createPostgresAdapter(postgres(config.postgresUrl, { max: 4, onnotice: () => {} }), {
        channelPrefix: config.key,
        tableName: config.tableName,
        sessionTableName: config.sessionTableName,
        heartbeatInterval: config.heartbeatInterval,
        heartbeatTimeout: config.heartbeatTimeout,
        requestsTimeout: 2000,
      });
const io = new Server({ pingInterval: 10_000, pingTimeout: 5_000, connectionStateRecovery: { maxDisconnectionDuration: config.window }, adapter });
io.on("connection", (socket) => {
  if (socket.recovered) return;
  socket.join(["room", "solo"]);
  socket.data = { n: 1, tags: ["x"] };
});
const mainAdapter = io.of("/").adapter as { ready?: Promise<void>; drained?: () => Promise<void> };
await mainAdapter.ready;
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
// SIGTERM: a shutdown as a deploy does it (the sockets close, the node says goodbye on the bus).
process.on("SIGTERM", async () => {
  await io.close();
  await mainAdapter.drained?.();
  process.exit(0);
});
console.log(`listening on http://127.0.0.1:${server.port}`);
