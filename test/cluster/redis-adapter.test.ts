// Two nodes of our server on one Redis (the Redis adapter): the shared two-node scenarios, and what is
// Redis's own: request timeouts of a silent subscriber, publishOnSpecificResponseChannel, a lost
// publishing connection, garbage on the bus.
import { describe, expect, test } from "bun:test";
import { encode } from "notepack.io";
import { RedisAdapter } from "../../src/adapter/index.ts";
import { record, waitFor } from "../support/sio-client.ts";
import { rejectionOf } from "../support/promises.ts";
import { redisAvailable, redisClient, startNode, uniqueKey } from "./support.ts";
import { twoNodeScenarios, type ClusterDriver } from "./two-node-scenarios.ts";

const available = await redisAvailable("Redis adapter tests");

/** Two of our nodes under a key prefix of their own (Redis counts subscribers at once: no wait for heartbeats). */
const redisDriver: ClusterDriver = {
  async start({ requestsTimeout, setupB } = {}) {
    const key = uniqueKey("pair");
    const a = await startNode(key, requestsTimeout === undefined ? {} : { requestsTimeout });
    const b = await startNode(key, {}, setupB);
    return {
      a,
      b,
      async [Symbol.asyncDispose]() {
        await b[Symbol.asyncDispose]();
        await a[Symbol.asyncDispose]();
      },
    };
  },
  silentNodeError: "timeout reached: only 0 responses received out of 1",
};

describe.skipIf(!available)("Redis adapter: two of our nodes", () => {
  twoNodeScenarios(redisDriver);

  test("fetchSockets fails after the request timeout when a node subscribed to the bus never answers", async () => {
    const key = uniqueKey("fetch-timeout");
    await using a = await startNode(key, { requestsTimeout: 200 });
    // A silent "node": subscribed to the request channel (so it is counted), answering nothing.
    const silent = redisClient();
    try {
      await silent.subscribe(`${key}-request#/#`);
      const error = await rejectionOf(a.io.fetchSockets());
      expect(String(error)).toContain("timeout reached while waiting for fetchSockets response");
      // The local answer alone is still there when asked for.
      expect(await a.io.local.fetchSockets()).toEqual([]);
    } finally {
      silent.disconnect();
    }
  });

  test("publishOnSpecificResponseChannel: answers go to the asking node's own channel", async () => {
    const key = uniqueKey("specific");
    await using a = await startNode(key, { publishOnSpecificResponseChannel: true });
    await using b = await startNode(key, { publishOnSpecificResponseChannel: true });
    const onB = await b.client();
    const watcher = redisClient();
    try {
      await watcher.subscribe(`${key}-response#/#`);
      const shared = record(watcher, "message");
      const found = await a.io.fetchSockets();
      expect(found.map((s) => s.id)).toEqual([onB.socket.id]);
      // A sentinel on the shared channel, published after the answer: the watcher sees it alone.
      const sentinel = waitFor(watcher, "message");
      await a.pub.publish(`${key}-response#/#`, "sentinel");
      await sentinel;
      expect(shared.map(([, message]) => message)).toEqual(["sentinel"]);
    } finally {
      watcher.disconnect();
    }
  });

  test("with the publishing connection gone, broadcasts still reach this node's clients and the failure is reported once", async () => {
    const errors: string[] = [];
    await using a = await startNode(uniqueKey("pub-down"), { onError: (_error, context) => errors.push(context) });
    const local = await a.client();
    a.pub.disconnect();
    const seen = record(local.client, "still-here");
    for (let i = 0; i < 3; i++) a.io.emit("still-here", i);
    const last = waitFor(local.client, "sentinel");
    a.io.emit("sentinel");
    await last;
    expect(seen).toEqual([[0], [1], [2]]);
    // The client fails commands in order: once a later publish has failed, the adapter's have too.
    await rejectionOf(a.pub.publish("after", "all"));
    const adapter = a.io.of("/").adapter;
    expect(adapter).toBeInstanceOf(RedisAdapter);
    expect(errors).toEqual([`publish to ${adapter instanceof RedisAdapter ? adapter.channels.broadcast : "?"}`]);
  });

  test("garbage and foreign messages on the bus change nothing and crash nothing", async () => {
    const key = uniqueKey("garbage");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const onB = await b.client();
    const noise = record(onB.client, "x");
    const channels = [`${key}#/#`, `${key}#/#${onB.socket.id}#`, `${key}-request#/#`, `${key}-response#/#`];
    const junk: (string | Buffer)[] = [
      "{not json",
      Buffer.from([0xc1, 0xff, 0x00]),
      encode(["other", { type: 2, nsp: "/other", data: ["x"] }, { rooms: [], except: [] }]),
      encode(["other", { type: 0, nsp: "/", data: ["x"] }, { rooms: [], except: [] }]),
      encode(["other", { type: 2, nsp: "/", data: "x" }, { rooms: [], except: [] }]),
      encode(["other", { type: 2, nsp: "/", data: ["x"] }, { rooms: [{}], except: [] }]),
      JSON.stringify({ type: 2, opts: { rooms: 5 }, rooms: ["r"] }),
      JSON.stringify({ type: 6, data: ["connection", "fake"] }),
      JSON.stringify({ type: 5, requestId: 7, opts: {} }),
      JSON.stringify({ type: 99, requestId: "x" }),
      JSON.stringify([1, 2, 3]),
    ];
    for (const channel of channels) for (const message of junk) await a.pub.publish(channel, message);
    const sentinel = waitFor(onB.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(noise).toEqual([]);
    expect(b.io.of("/").sockets.size).toBe(1);
  });
});
