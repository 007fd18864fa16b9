// Public entry of the adapter seam: the contract, the single-node implementation and the Redis and Postgres cluster adapters.
export type * from "./types.ts";
export { LocalAdapter, localAdapter } from "./local-adapter.ts";
export { namespaceTopic, roomTopic } from "./topics.ts";
export type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
export { createRedisAdapter, RedisAdapter } from "./redis-adapter.ts";
export type { RedisAdapterOptions } from "./redis-adapter.ts";
export type { RedisPublisher, RedisSubscriber } from "./redis-client.ts";
export { createPostgresAdapter, PostgresAdapter } from "./postgres-adapter.ts";
export type { PostgresAdapterOptions } from "./postgres-adapter.ts";
export type { PostgresBusClient } from "./postgres-client.ts";
