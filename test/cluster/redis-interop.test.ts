// A mixed cluster on one Redis: a stock socket.io Server with @socket.io/redis-adapter (run under
// Bun in this process) and our Server with our Redis adapter. Every cluster feature, both ways; and
// @socket.io/redis-emitter reaching our clients.
import { describe } from "bun:test";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as StockServer } from "socket.io";
import { emitterScenario, interopScenarios, stockNode, type StockNode } from "./interop-scenarios.ts";
import { redisAvailable, redisClient, startNode, uniqueKey } from "./support.ts";

const available = await redisAvailable("Redis interop tests");

/** socket.io's own Server and Redis adapter, listening to the bus before it is handed out. */
async function startStock(key: string, setup: (io: StockServer) => void = () => {}): Promise<StockNode> {
  const pub = redisClient();
  const sub = redisClient();
  const http = createServer();
  const io = new StockServer(http, { adapter: createAdapter(pub, sub, { key, requestsTimeout: 2000 }) });
  setup(io);
  // Commands on one connection run in order: once a PING is answered, the adapter's subscriptions are in place.
  await sub.ping();
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return stockNode(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`, () => {
    pub.disconnect();
    sub.disconnect();
  });
}

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
