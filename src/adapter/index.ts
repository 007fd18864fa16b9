// Public entry of the adapter seam: the contract, the single-node implementation and the Redis cluster adapter.
export type * from "./types.ts";
export { LocalAdapter, localAdapter } from "./local-adapter.ts";
export { namespaceTopic, roomTopic } from "./topics.ts";
export type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
export { createRedisAdapter, RedisAdapter } from "./redis-adapter.ts";
export type { RedisAdapterOptions } from "./redis-adapter.ts";
export type { RedisPublisher, RedisSubscriber } from "./redis-client.ts";
