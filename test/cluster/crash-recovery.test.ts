// Connection state recovery when the node the client left was killed (kill -9) or shut down, on Redis
// and on Postgres alone: node A (a child process) dies with the client's session in its memory; B takes the
// session over from the snapshot A left in the shared store and sends, from its own log, what the
// client missed (broadcasts numbered by the node of ours that sent them). Never while A is alive,
// once only, and not after the window.
import { describe, expect, test } from "bun:test";
import { io as ioc } from "socket.io-client";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import { CLIENT_DEFAULTS, connected, record, until, waitFor, type ClientSocket } from "../support/sio-client.ts";
import { eventually } from "../faults/support.ts";
import { postgresAvailable } from "./postgres-support.ts";
import { startCrashCluster, type CrashCluster, type Driver } from "./crash-recovery.ts";
import { clientOf, onFirstConnection } from "./recovery-scenarios.ts";
import { startStock } from "./stock-redis-node.ts";
import { redisAvailable } from "./support.ts";
import { switchingProxy, type SwitchingProxy } from "./switching-proxy.ts";

const WINDOW = 5000;
const available: Record<Driver, boolean> = {
  redis: await redisAvailable("crash recovery on Redis"),
  postgres: await postgresAvailable("crash recovery on Postgres"),
};

/** A client on A through the proxy, in "room" and "solo", that got one broadcast (its offset) and whose snapshot A has stored. */
async function clientOnA(nodes: CrashCluster, proxy: SwitchingProxy): Promise<{ client: ClientSocket; id: string; offset: string }> {
  const client = clientOf(proxy);
  await waitFor(client, "connect", 5000);
  const welcome = waitFor<unknown[]>(client, "welcome");
  nodes.b.io.emit("welcome");
  const offset = (await welcome).at(-1);
  if (typeof offset !== "string") throw new Error("the welcome came without an offset");
  await eventually("A's snapshot of the session in the shared store", async () => ((await nodes.snapshotsOf(offset)) > 0 ? true : undefined), 5000, 20);
  return { client, id: client.id ?? "", offset };
}

/** Points the proxy at B and waits for the client to come back there recovered, with its old id; answers B's socket for it. */
async function backOnB(nodes: CrashCluster, client: ClientSocket, proxy: SwitchingProxy, id: string, onB: ServerSocket[]): Promise<ServerSocket> {
  const back = waitFor(client, "connect", 10_000);
  proxy.target = nodes.b.url;
  await back;
  expect(client.id).toBe(id);
  expect(client.recovered).toBe(true);
  return until(() => onB.find((socket) => socket.id === id), 2000, "the socket on B");
}

/** Kills A while the proxy refuses new connections; resolves once the client saw its transport go. */
async function killA(nodes: CrashCluster, client: ClientSocket, proxy: SwitchingProxy): Promise<void> {
  const gone = waitFor<[string]>(client, "disconnect", 5000);
  proxy.target = undefined;
  nodes.a.process.kill("SIGKILL");
  await nodes.a.process.exited;
  expect((await gone)[0]).toBe("transport close");
}

/** The session id socket.io-client keeps for recovery (private to it: read for tests that replay it). */
function pidOf(client: ClientSocket): string {
  const pid = (client as unknown as { _pid?: unknown })._pid;
  if (typeof pid !== "string") throw new Error("the client has no pid");
  return pid;
}

function stop(client: ClientSocket): void {
  client.io.reconnection(false);
  client.disconnect();
}

for (const driver of ["redis", "postgres"] as const) {
  describe.skipIf(!available[driver])(`connection state recovery when the client's node dies or shuts down (${driver})`, () => {
    test("the client back on B within the window: same id, rooms and data, recovered === true, every broadcast from B and C meanwhile in order, once", async () => {
      await using nodes = await startCrashCluster(driver, WINDOW);
      const { b, c } = nodes;
      const onB = onFirstConnection(b);
      // A witness on B in "room": once it has C's last broadcast, B has logged all of C's.
      const witness = await b.client();
      witness.socket.join("room");
      await using proxy = switchingProxy(nodes.a.url);
      const { client, id } = await clientOnA(nodes, proxy);
      try {
        await killA(nodes, client, proxy);
        const missed = record(client, "missed");
        const notMine = record(client, "not-mine");
        // B logs its own broadcasts as it sends them and C's as they arrive: C's come between two
        // of B's once the witness has them (two nodes' packets have no order but the one B sees).
        b.io.emit("missed", 1);
        b.io.except("room").emit("not-mine");
        c.io.to("room").emit("missed", 2);
        c.io.to(id).emit("missed", 3);
        c.io.to("other-room").emit("not-mine");
        c.io.volatile.emit("not-mine");
        c.io.emit("missed", { four: [4], bytes: Buffer.from([4]) });
        const logged = waitFor(witness.client, "sentinel", 5000);
        c.io.to("room").emit("sentinel");
        await logged;
        b.io.to("solo").emit("missed", 5);
        b.io.to("room").emit("missed", 6);

        const recovered = await backOnB(nodes, client, proxy, id, onB);
        expect(recovered.recovered).toBe(true);
        expect(recovered.rooms).toEqual(new Set([id, "room", "solo"]));
        expect(recovered.data).toEqual({ n: 1, tags: ["x"] });
        const bounded = waitFor(client, "bound");
        b.io.to(id).emit("bound");
        await bounded;
        expect(missed.map((args) => args[0])).toEqual([1, 2, 3, { four: [4], bytes: expect.anything() }, 5, 6]);
        const four = missed[3]?.[0] as { bytes: ArrayBuffer };
        expect([...new Uint8Array(four.bytes)]).toEqual([4]);
        expect(notMine).toEqual([]);
        // Its rooms are B's now: C's broadcast to "solo" reaches it there, once.
        const after = record(client, "after");
        const arrived = waitFor(client, "after");
        c.io.to("solo").emit("after", 7);
        expect((await arrived)[0]).toBe(7);
        const bounded2 = waitFor(client, "bound2");
        b.io.to(id).emit("bound2");
        await bounded2;
        expect(after.length).toBe(1);
      } finally {
        stop(client);
      }
    });

    test("A shut down cleanly (SIGTERM, as in a deploy): the client recovers on B the same way", async () => {
      await using nodes = await startCrashCluster(driver, WINDOW);
      const { b, c } = nodes;
      const onB = onFirstConnection(b);
      await using proxy = switchingProxy(nodes.a.url);
      const { client, id } = await clientOnA(nodes, proxy);
      try {
        const gone = waitFor<[string]>(client, "disconnect", 5000);
        proxy.target = undefined;
        nodes.a.process.kill("SIGTERM");
        await gone;
        expect(await nodes.a.process.exited).toBe(0);
        const missed = record(client, "missed");
        c.io.to("room").emit("missed", 1);
        b.io.to("solo").emit("missed", 2);
        const recovered = await backOnB(nodes, client, proxy, id, onB);
        expect(recovered.rooms).toEqual(new Set([id, "room", "solo"]));
        const bounded = waitFor(client, "bound");
        b.io.to(id).emit("bound");
        await bounded;
        // C's broadcast reached B after B's own was logged, or before: both once.
        expect(missed.map((args) => args[0]).sort()).toEqual([1, 2]);
      } finally {
        stop(client);
      }
    });

    test("after the recovery window, the client back on B gets a fresh session", async () => {
      const window = 600;
      await using nodes = await startCrashCluster(driver, window);
      onFirstConnection(nodes.b);
      await using proxy = switchingProxy(nodes.a.url);
      const { client, id } = await clientOnA(nodes, proxy);
      try {
        await killA(nodes, client, proxy);
        const missed = record(client, "missed");
        nodes.b.io.emit("missed", 1);
        const killedBy = Date.now();
        await until(() => (Date.now() > killedBy + window + 50 ? true : undefined), 3000, "the recovery window to pass");
        const back = waitFor(client, "connect", 10_000);
        proxy.target = nodes.b.url;
        await back;
        expect(client.recovered).toBe(false);
        expect(client.id).not.toBe(id);
        const bounded = waitFor(client, "bound");
        nodes.b.io.to(client.id ?? "").emit("bound");
        await bounded;
        expect(missed).toEqual([]);
      } finally {
        stop(client);
      }
    });

    test("while A is alive and holds the socket, B never uses its snapshot: a second client with the same pid and offset gets a fresh session", async () => {
      await using nodes = await startCrashCluster(driver, WINDOW);
      const onB = onFirstConnection(nodes.b);
      await using proxy = switchingProxy(nodes.a.url);
      const { client, id, offset } = await clientOnA(nodes, proxy);
      const clone = ioc(nodes.b.url, { ...CLIENT_DEFAULTS, transports: ["websocket"], auth: { pid: pidOf(client), offset } });
      try {
        await connected(clone, 10_000);
        // The client side says recovered only for a pid it got itself: the server side tells.
        expect(clone.id).not.toBe(id);
        expect(onB.find((socket) => socket.id === clone.id)?.recovered).toBe(false);
        // The first client is untouched on A, and A's snapshot is still there.
        expect(client.connected).toBe(true);
        expect(await nodes.snapshotsOf(offset)).toBeGreaterThan(0);
      } finally {
        stop(clone);
        stop(client);
      }
    });

    test("B and C asked for the same session at once after A died: one of them restores it", async () => {
      await using nodes = await startCrashCluster(driver, WINDOW);
      await using proxy = switchingProxy(nodes.a.url);
      const { client, id, offset } = await clientOnA(nodes, proxy);
      const pid = pidOf(client);
      await killA(nodes, client, proxy);
      stop(client);
      const options = { ...CLIENT_DEFAULTS, transports: ["websocket"], auth: { pid, offset } };
      const toB = ioc(nodes.b.url, options);
      const toC = ioc(nodes.c.url, options);
      try {
        await Promise.all([connected(toB, 10_000), connected(toC, 10_000)]);
        // The one that restored it has the old id; the other a fresh one.
        expect([toB.id, toC.id].filter((each) => each === id).length).toBe(1);
        expect(await nodes.snapshotsOf(offset)).toBe(0);
      } finally {
        stop(toB);
        stop(toC);
      }
    });
  });
}

describe.skipIf(!available.redis)("connection state recovery when the client's node dies, with a stock node in the cluster (redis)", () => {
  test("a stock node's broadcast reached the client's rooms while it was away: a fresh session, not a recovery that might miss or repeat it", async () => {
    await using nodes = await startCrashCluster("redis", WINDOW);
    await using stock = await startStock(nodes.key);
    const onB = onFirstConnection(nodes.b);
    const witness = await nodes.b.client();
    witness.socket.join("room");
    await using proxy = switchingProxy(nodes.a.url);
    const { client, id } = await clientOnA(nodes, proxy);
    try {
      await killA(nodes, client, proxy);
      const logged = waitFor(witness.client, "from-stock", 5000);
      stock.io.to("room").emit("from-stock");
      await logged;
      // The stock node never answers our restore request: B waits for it until requestsTimeout.
      const back = waitFor(client, "connect", 10_000);
      proxy.target = nodes.b.url;
      await back;
      expect(client.recovered).toBe(false);
      expect(client.id).not.toBe(id);
      expect(onB.find((socket) => socket.id === client.id)?.recovered).toBe(false);
    } finally {
      stop(client);
    }
  });
});
