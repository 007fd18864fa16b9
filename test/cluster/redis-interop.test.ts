// A mixed cluster on one Redis: a stock socket.io Server with @socket.io/redis-adapter (run under
// Bun in this process) and our Server with our Redis adapter. Every cluster feature, both ways; and
// @socket.io/redis-emitter reaching our clients.
import { describe } from "bun:test";
import { Emitter } from "@socket.io/redis-emitter";
import { emitterScenario, interopScenarios } from "./interop-scenarios.ts";
import { startStock } from "./stock-redis-node.ts";
import { redisAvailable, redisClient, startNode, uniqueKey } from "./support.ts";

const available = await redisAvailable("Redis interop tests");

describe.skipIf(!available)("Redis adapter interop with socket.io's own adapter", () => {
  interopScenarios({
    async start(setupOurs, setupStock) {
      const key = uniqueKey("interop");
      // Redis counts subscribers at once: no wait for the nodes to learn of each other.
      const ours = await startNode(key, {}, setupOurs);
      const stock = await startStock(key, setupStock);
      return {
        ours,
        stock,
        async [Symbol.asyncDispose]() {
          await stock[Symbol.asyncDispose]();
          await ours[Symbol.asyncDispose]();
        },
      };
    },
  });
});

describe.skipIf(!available)("@socket.io/redis-emitter reaches our clients", () => {
  emitterScenario(async () => {
    const key = uniqueKey("emitter");
    const ours = await startNode(key);
    const publisher = redisClient();
    return {
      ours,
      emitter: new Emitter(publisher, { key }),
      async [Symbol.asyncDispose]() {
        await ours[Symbol.asyncDispose]();
        publisher.disconnect();
      },
    };
  });
});
