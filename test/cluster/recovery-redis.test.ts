// Connection state recovery across two of our nodes on Redis (the shared recovery scenarios).
import { describe } from "bun:test";
import { redisAvailable, startNode, uniqueKey } from "./support.ts";
import { recoveryScenarios } from "./recovery-scenarios.ts";

const available = await redisAvailable("recovery across Redis nodes");

describe.skipIf(!available)("connection state recovery across Redis nodes", () => {
  recoveryScenarios({
    async start(serverOptions) {
      const key = uniqueKey("recovery");
      const a = await startNode(key, {}, () => {}, serverOptions);
      const b = await startNode(key, {}, () => {}, serverOptions);
      return {
        a,
        b,
        async [Symbol.asyncDispose]() {
          await b[Symbol.asyncDispose]();
          await a[Symbol.asyncDispose]();
        },
      };
    },
  });
});
