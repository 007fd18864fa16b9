// What the Redis adapter needs of a Redis client: binary-safe publish, (p)subscribe with Buffer
// messages, and PUBSUB NUMSUB. An ioredis client (the one we test with) fits as it is.

export interface RedisPublisher {
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  /** Any command: the adapter sends PUBSUB NUMSUB to count the nodes. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

export interface RedisSubscriber {
  psubscribe(...patterns: string[]): Promise<unknown>;
  punsubscribe(...patterns: string[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: "pmessageBuffer", listener: (pattern: Buffer | string, channel: Buffer | string, message: Buffer) => void): unknown;
  on(event: "messageBuffer", listener: (channel: Buffer | string, message: Buffer) => void): unknown;
  off(event: "pmessageBuffer", listener: (pattern: Buffer | string, channel: Buffer | string, message: Buffer) => void): unknown;
  off(event: "messageBuffer", listener: (channel: Buffer | string, message: Buffer) => void): unknown;
}
