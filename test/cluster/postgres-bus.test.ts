// The Postgres adapter's limits and liveness: NOTIFY payloads of 7999 bytes go inline, 8000 (which
// Postgres refuses) and 100 000 through the attachment table; the table is cleaned up; a node that
// stops heartbeating leaves serverCount within the timeout while a quiet live one stays.
import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../support/sio-client.ts";
import { clusterFormed, dropTable, pgClient, postgresAvailable, startPgNode, uniqueCluster } from "./postgres-support.ts";

const available = await postgresAvailable("Postgres adapter payload and heartbeat tests");
const { tableName } = uniqueCluster("file");
const clusterOf = (name: string) => ({ ...uniqueCluster(name), tableName });

afterAll(async () => {
  if (available) await dropTable(tableName);
});

describe.skipIf(!available)("Postgres adapter: payload sizes", () => {
  test("documents of 7999 bytes are NOTIFYed whole; 8000 and 100 000 bytes go through the table; all arrive", async () => {
    const cluster = clusterOf("sizes");
    await using a = await startPgNode(cluster);
    await using b = await startPgNode(cluster);
    const onB = await b.client();
    // A watcher on the channel sees each NOTIFY payload as sent (on a connection of its own: it may hear after B does).
    const watcher = pgClient();
    const isBroadcast = (payload: string) => payload.includes('"big"') || payload.includes('"attachmentId"');
    let heard: ((payload: string) => void) | undefined;
    const nextBroadcast = () => new Promise<string>((resolve) => (heard = resolve));
    try {
      await watcher.listen(`${cluster.channelPrefix}#/`, (payload) => {
        if (isBroadcast(payload)) heard?.(payload);
      });
      // The document's size without the padding: one broadcast of an empty string.
      let seen = nextBroadcast();
      let got = waitFor<[string]>(onB.client, "big");
      a.io.emit("big", "");
      await got;
      const base = Buffer.byteLength(await seen);
      expect(base).toBeGreaterThan(50);

      for (const size of [7999, 8000, 100_000]) {
        const text = "x".repeat(size - base);
        seen = nextBroadcast();
        got = waitFor<[string]>(onB.client, "big");
        a.io.emit("big", text);
        expect((await got)[0]).toBe(text);
        const payload = await seen;
        if (size < 8000) {
          expect(Buffer.byteLength(payload)).toBe(size);
        } else {
          expect(JSON.parse(payload)).toEqual({ uid: a.adapter.uid, type: 3, attachmentId: expect.any(String) });
        }
      }
      // Postgres itself refuses 8000 bytes: the reason the limit is 7999 whatever payloadThreshold says.
      const refused = await watcher`select pg_notify(${"x"}, ${"y".repeat(8000)})`.then(
        () => "",
        (error: unknown) => String(error),
      );
      expect(refused).toContain("payload string too long");
    } finally {
      await watcher.end({ timeout: 1 });
    }
  });

  test("attachment rows older than cleanupInterval are deleted", async () => {
    const cluster = clusterOf("cleanup");
    await using _node = await startPgNode(cluster, { cleanupInterval: 200 });
    const admin = pgClient();
    try {
      const [old] = await admin.unsafe(`INSERT INTO ${tableName} (payload, created_at) VALUES ($1, now() - interval '1 hour') RETURNING id`, [Buffer.from([1])]);
      const deadline = Date.now() + 5000;
      let left = 1;
      // Deleted by the adapter's timer: polled (no event tells when a row goes).
      while (left > 0 && Date.now() < deadline) {
        await Bun.sleep(50);
        left = (await admin.unsafe(`SELECT 1 FROM ${tableName} WHERE id = $1::bigint`, [String(old?.id)])).length;
      }
      expect(left).toBe(0);
    } finally {
      await admin.end({ timeout: 1 });
    }
  });
});

describe.skipIf(!available)("Postgres adapter: heartbeats", () => {
  test("a node that stops heartbeating is dropped within the timeout; a quiet live node stays", async () => {
    const cluster = clusterOf("heartbeat");
    // Heartbeats ten times per timeout: a loaded machine delaying a few must not drop a live node.
    const timing = { heartbeatInterval: 100, heartbeatTimeout: 1000 };
    await using a = await startPgNode(cluster, timing);
    await using b = await startPgNode(cluster, timing);
    await clusterFormed([a, b]);
    // A "node" that says hello once and then goes silent, as a process killed with -9 would.
    const ghost = pgClient();
    try {
      await ghost.notify(`${cluster.channelPrefix}#/`, JSON.stringify({ uid: "ghost-node", type: 1, nsp: "/" }));
      await Promise.all([a.adapter.whenServerCount(3), b.adapter.whenServerCount(3)]);
      const seen = Date.now();
      await Promise.all([a.adapter.whenServerCount(2), b.adapter.whenServerCount(2)]);
      const after = Date.now() - seen;
      // Dropped after the timeout, within one sweep (a quarter of it) and some scheduling slack.
      expect(after).toBeGreaterThanOrEqual(timing.heartbeatTimeout - 50);
      expect(after).toBeLessThan(timing.heartbeatTimeout * 3);
      // A and B sent each other nothing but heartbeats for longer than the timeout: still counted, both ways.
      expect(a.adapter.otherNodes).toEqual([b.adapter.uid]);
      expect(b.adapter.otherNodes).toEqual([a.adapter.uid]);
    } finally {
      await ghost.end({ timeout: 1 });
    }
  });

  test("an emitter's documents reach the sockets and do not count as a node", async () => {
    const cluster = clusterOf("emitter-uid");
    await using a = await startPgNode(cluster);
    const onA = await a.client();
    const emitter = pgClient();
    try {
      const got = waitFor(onA.client, "from-emitter");
      await emitter.notify(`${cluster.channelPrefix}#/`, JSON.stringify({ uid: "emitter", type: 3, data: { packet: { type: 2, data: ["from-emitter", 1], nsp: "/" }, opts: { rooms: [], except: [] } } }));
      expect(await got).toEqual([1]);
      expect(await a.adapter.serverCount()).toBe(1);
    } finally {
      await emitter.end({ timeout: 1 });
    }
  });
});
