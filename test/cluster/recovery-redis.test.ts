// Connection state recovery across two of our nodes on Redis (the shared recovery scenarios), and
// with a stock socket.io node in the same cluster: it ignores our restore request and keeps working.
import { describe, expect, test } from "bun:test";
import { until, waitFor } from "../support/sio-client.ts";
import { clientOf, dropFromA, onFirstConnection, RECOVERY, recoveryScenarios } from "./recovery-scenarios.ts";
import { startStock } from "./stock-redis-node.ts";
import { redisAvailable, startNode, uniqueKey } from "./support.ts";
import { switchingProxy } from "./switching-proxy.ts";

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

  test("with a stock socket.io node in the cluster: recovery from A to B still works, and the stock node's broadcasts and requests still do", async () => {
    const key = uniqueKey("recovery-mixed");
    await using a = await startNode(key, {}, () => {}, RECOVERY);
    await using b = await startNode(key, {}, () => {}, RECOVERY);
    await using stock = await startStock(key);
    const onA = onFirstConnection(a);
    const onB = onFirstConnection(b);
    await using proxy = switchingProxy(a.url);
    const client = clientOf(proxy);
    try {
      await waitFor(client, "connect");
      const firstId = client.id ?? "";
      const first = await until(() => onA.find((socket) => socket.id === firstId), 2000, "the socket on A");
      const welcome = waitFor(client, "welcome");
      stock.io.emit("welcome");
      await welcome;
      await dropFromA(client, first, proxy);
      const missed = waitFor(client, "missed");
      const back = waitFor(client, "connect", 5000);
      // Sent by the stock node while the client is away: A logs it for the session it keeps.
      const witness = await a.client();
      const logged = waitFor(witness.client, "from-stock");
      stock.io.emit("from-stock");
      await logged;
      stock.io.to("room").emit("missed", "via-stock");
      const sentinel = waitFor(witness.client, "sentinel");
      stock.io.emit("sentinel");
      await sentinel;
      proxy.target = b.url;
      await back;
      expect(client.id).toBe(firstId);
      expect(client.recovered).toBe(true);
      expect((await missed)[0]).toBe("via-stock");
      await until(() => onB.find((socket) => socket.id === firstId), 2000, "the socket on B");
      // The stock node still asks and gets answers: it sees the recovered socket on B in its rooms (and A's witness).
      const found = await stock.io.in("solo").fetchSockets();
      expect(found.map((socket) => socket.id).sort()).toEqual([firstId, witness.socket.id].sort());
      const after = waitFor(client, "after");
      stock.io.to("solo").emit("after", 1);
      expect((await after)[0]).toBe(1);
    } finally {
      client.io.reconnection(false);
      client.disconnect();
    }
  });
});
