// A mixed cluster on one Redis: a stock socket.io Server with @socket.io/redis-adapter (run under
// Bun in this process) and our Server with our Redis adapter. Every cluster feature, both ways; and
// @socket.io/redis-emitter reaching our clients.
import { describe, expect, test } from "bun:test";
import { Emitter } from "@socket.io/redis-emitter";
import { waitFor } from "../support/sio-client.ts";
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

describe.skipIf(!available)("Redis interop with connection state recovery on our node", () => {
  test("a stock node's clients get our broadcasts with the arguments sent, not the number that goes beside them for recovery", async () => {
    const key = uniqueKey("interop-recovery");
    await using ours = await startNode(key, {}, () => {}, { connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
    await using stock = await startStock(key);
    const { client, socket } = await stock.client();
    socket.join("room");
    const toAll = waitFor<unknown[]>(client, "to-all");
    ours.io.emit("to-all", 1, "two");
    expect(await toAll).toEqual([1, "two"]);
    // One room: the room's own channel.
    const toRoom = waitFor<unknown[]>(client, "to-room");
    ours.io.to("room").emit("to-room", { three: 3 });
    expect(await toRoom).toEqual([{ three: 3 }]);
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
