// Two of our nodes on one Postgres (the Postgres adapter): the shared two-node scenarios, and what is
// Postgres's own: binary through the attachment table, a closing node counted out at once, garbage
// on the channel ignored, a dropped listening connection that LISTENs again.
import { afterAll, describe, expect, test } from "bun:test";
import { record, until, waitFor } from "../support/sio-client.ts";
import { clusterFormed, dropTable, pgClient, postgresAvailable, startPgNode, uniqueCluster } from "./postgres-support.ts";
import { twoNodeScenarios, type ClusterDriver } from "./two-node-scenarios.ts";

const available = await postgresAvailable("Postgres adapter tests");
const { tableName } = uniqueCluster("file");
const clusterOf = (name: string) => ({ ...uniqueCluster(name), tableName });

afterAll(async () => {
  if (available) await dropTable(tableName);
});

/** Two of our nodes under a channel prefix of their own, returned once each counts the other (heartbeats exchanged). */
const postgresDriver: ClusterDriver = {
  async start({ requestsTimeout, setupB } = {}) {
    const cluster = clusterOf("pair");
    const a = await startPgNode(cluster, requestsTimeout === undefined ? {} : { requestsTimeout });
    const b = await startPgNode(cluster, {}, setupB);
    await clusterFormed([a, b]);
    return {
      a,
      b,
      async [Symbol.asyncDispose]() {
        await b[Symbol.asyncDispose]();
        await a[Symbol.asyncDispose]();
      },
    };
  },
  silentNodeError: "timeout reached: missing 1 responses",
};

describe.skipIf(!available)("Postgres adapter: two of our nodes", () => {
  twoNodeScenarios(postgresDriver);

  test("binary goes through the attachment table, created because it was missing", async () => {
    const cluster = clusterOf("binary");
    await using a = await startPgNode(cluster);
    await using b = await startPgNode(cluster);
    const onB = await b.client();
    const got = waitFor<[Buffer]>(onB.client, "bin");
    a.io.emit("bin", Buffer.from([7, 0, 7]));
    expect([...new Uint8Array((await got)[0])]).toEqual([7, 0, 7]);
    const [row] = await a.sql.unsafe(`SELECT count(*)::int AS n FROM ${tableName}`);
    expect(Number(row?.n)).toBeGreaterThan(0);
  });

  test("a node that closes is counted out at once (ADAPTER_CLOSE), without waiting for the heartbeat timeout", async () => {
    const cluster = clusterOf("close");
    await using a = await startPgNode(cluster);
    const b = await startPgNode(cluster);
    await clusterFormed([a, b]);
    // The default timeout is 10 s, longer than this test may wait.
    await b[Symbol.asyncDispose]();
    await a.adapter.whenServerCount(1);
    expect(await a.io.of("/").adapter.serverCount()).toBe(1);
  });

  test("garbage and foreign documents on the channel change nothing and crash nothing", async () => {
    const cluster = clusterOf("garbage");
    await using a = await startPgNode(cluster);
    await using b = await startPgNode(cluster);
    const onB = await b.client();
    const noise = record(onB.client, "x");
    const channel = `${cluster.channelPrefix}#/`;
    const junk = [
      "{not json",
      "[1,2,3]",
      "null",
      JSON.stringify({ uid: "other", type: 3, nsp: "/other", data: { packet: { type: 2, data: ["x"] }, opts: { rooms: [], except: [] } } }),
      JSON.stringify({ uid: "other", type: 3, nsp: "/", data: { packet: { type: 0, data: ["x"] }, opts: { rooms: [], except: [] } } }),
      JSON.stringify({ uid: "other", type: 3, nsp: "/", data: { packet: { type: 2, data: "x" }, opts: { rooms: [], except: [] } } }),
      JSON.stringify({ uid: "other", type: 3, nsp: "/", data: { packet: { type: 2, data: ["x"] }, opts: { rooms: [{}], except: [] } } }),
      JSON.stringify({ uid: "other", type: 3, nsp: "/", data: "nope" }),
      JSON.stringify({ uid: "other", type: 4, nsp: "/", data: { opts: { rooms: 5 }, rooms: ["r"] } }),
      JSON.stringify({ uid: "other", type: 9, nsp: "/", data: { packet: "connection" } }),
      JSON.stringify({ uid: "other", type: 7, nsp: "/", data: { requestId: 7, opts: {} } }),
      JSON.stringify({ uid: "other", type: 99, nsp: "/" }),
      JSON.stringify({ uid: "other", type: 3, attachmentId: "999999999" }),
      JSON.stringify({ uid: "other", type: 3, attachmentId: "1; drop table x" }),
      JSON.stringify({ uid: "other", type: 3, attachmentId: { id: 1 } }),
    ];
    for (const payload of junk) await a.sql.notify(channel, payload);
    // A row of bytes that are not MessagePack, announced like an attachment.
    const [row] = await a.sql.unsafe(`INSERT INTO ${tableName} (payload) VALUES ($1) RETURNING id`, [Buffer.from([0xc1, 0xff])]);
    await a.sql.notify(channel, JSON.stringify({ uid: "other", type: 3, attachmentId: String(row?.id) }));
    const sentinel = waitFor(onB.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(noise).toEqual([]);
    expect(b.io.of("/").sockets.size).toBe(1);
  });

  test("the listening connection dropped: it LISTENs again, announces itself, and documents flow again", async () => {
    const cluster = clusterOf("relisten");
    let relistens = 0;
    await using a = await startPgNode(cluster);
    await using b = await startPgNode(cluster, { onRelisten: () => relistens++ });
    await clusterFormed([a, b]);
    expect(relistens).toBe(0);
    const onB = await b.client();
    const admin = pgClient();
    try {
      const channel = `${cluster.channelPrefix}#/`;
      // The backend that ran B's LISTEN (the query text names the channel): killed as a network cut would.
      const killed = await admin`select pg_terminate_backend(pid) as ok from pg_stat_activity where query = ${`listen "${channel}"`}`;
      expect(killed.length).toBe(2);
      // Sent until one arrives: documents NOTIFYed while B had no listening connection are lost to it (NOTIFY is not stored).
      let delivered = false;
      const arrived = waitFor(onB.client, "after").then(() => (delivered = true));
      for (let attempt = 0; attempt < 200 && !delivered; attempt++) {
        a.io.emit("after");
        await Promise.race([arrived, Bun.sleep(50)]);
      }
      expect(delivered).toBe(true);
      expect(await b.adapter.serverCount()).toBe(2);
      // What the app counts as a bus reconnect (studyconnect_bus_reconnects_total): once, for this drop.
      await until(() => (relistens > 0 ? true : undefined), 5000, "onRelisten");
      expect(relistens).toBe(1);
    } finally {
      await admin.end({ timeout: 1 });
    }
  });
});
