// Connection state recovery across two of our nodes, whichever driver carries the cluster: a client
// dropped from node A comes back through a switching front on node B with its id, rooms, data and
// every broadcast it missed (sent from A and from B) in order, once; after the window, a fresh session.
import { expect, test } from "bun:test";
import { io as ioc } from "socket.io-client";
import type { ServerOptions, Socket as ServerSocket } from "../../src/socketio/index.ts";
import { CLIENT_DEFAULTS, record, until, waitFor, withTimeout, type ClientSocket } from "../support/sio-client.ts";
import type { ServedNode } from "./support.ts";
import { switchingProxy, type SwitchingProxy } from "./switching-proxy.ts";

export type RecoveryNodes = { a: ServedNode; b: ServedNode } & AsyncDisposable;

export type RecoveryDriver = {
  /** Two nodes of a new cluster with these server options, each counting the other once returned. */
  start(serverOptions: Partial<ServerOptions>): Promise<RecoveryNodes>;
};

const WINDOW = 3000;
export const RECOVERY: Partial<ServerOptions> = { connectionStateRecovery: { maxDisconnectionDuration: WINDOW } };

/** A websocket client of the proxy that retries every 50 ms while the proxy points nowhere. */
export function clientOf(proxy: SwitchingProxy): ClientSocket {
  return ioc(proxy.url, { ...CLIENT_DEFAULTS, transports: ["websocket"], reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0 });
}

/** Joins "room" and "solo" and sets data on first connection (not on a recovered one); hands out each server socket. */
export function onFirstConnection(node: ServedNode): ServerSocket[] {
  const seen: ServerSocket[] = [];
  node.io.on("connection", (socket) => {
    seen.push(socket);
    if (socket.recovered) return;
    socket.join(["room", "solo"]);
    socket.data = { n: 1, tags: ["x"] };
  });
  return seen;
}

/** Drops the client's transport while the proxy refuses new connections; resolves once node A saw the socket go. */
export async function dropFromA(client: ClientSocket, onA: ServerSocket, proxy: SwitchingProxy): Promise<void> {
  const serverGone = waitFor<[string]>(onA, "disconnect");
  const clientGone = waitFor<[string]>(client, "disconnect");
  proxy.target = undefined;
  client.io.engine.close();
  expect((await clientGone)[0]).toBe("forced close");
  expect((await serverGone)[0]).toBe("transport close");
}

/** Registers the scenarios as tests of the calling describe block. */
export function recoveryScenarios(driver: RecoveryDriver): void {
  test("a client dropped from A reconnects to B: same id, rooms and data, recovered === true, every missed broadcast from A and B in order, once", async () => {
    await using nodes = await driver.start(RECOVERY);
    const { a, b } = nodes;
    const onA = onFirstConnection(a);
    const onB = onFirstConnection(b);
    // A witness on A in "room": once it has B's last broadcast, A has logged all of B's too.
    const witness = await a.client();
    witness.socket.join("room");
    await using proxy = switchingProxy(a.url);
    const client = clientOf(proxy);
    try {
      await waitFor(client, "connect");
      const first = await until(() => onA.find((socket) => socket.id === client.id), 2000, "the socket on A");
      const firstId = first.id;
      // Recovery needs one offset-bearing packet first.
      const welcome = waitFor(client, "welcome");
      a.io.emit("welcome");
      await welcome;

      await dropFromA(client, first, proxy);
      const missed = record(client, "missed");
      const notMine = record(client, "not-mine");
      a.io.emit("missed", 1);
      a.io.to("room").emit("missed", 2);
      b.io.emit("missed", 3);
      b.io.to("room").emit("missed", 4);
      b.io.to(firstId).emit("missed", 5);
      a.io.except("room").emit("not-mine");
      b.io.to("other-room").emit("not-mine");
      b.io.volatile.emit("not-mine");
      b.io.emit("missed", { six: [6], bytes: Buffer.from([6]) });
      // A room nobody on A is in any more: A still logs it for the session it keeps.
      b.io.to("solo").emit("missed", 7);
      const logged = waitFor(witness.client, "sentinel");
      b.io.to("room").emit("sentinel");
      await logged;

      const back = waitFor(client, "connect", 5000);
      proxy.target = b.url;
      await back;
      expect(client.id).toBe(firstId);
      expect(client.recovered).toBe(true);
      const recovered = await until(() => onB.find((socket) => socket.id === firstId), 2000, "the socket on B");
      expect(recovered.recovered).toBe(true);
      expect(recovered.rooms).toEqual(new Set([firstId, "room", "solo"]));
      expect(recovered.data).toEqual({ n: 1, tags: ["x"] });
      // The missed packets come right after the CONNECT; a sentinel from B bounds them.
      const sentinel = waitFor(client, "after-recovery");
      b.io.to(firstId).emit("after-recovery");
      await sentinel;
      // Listeners see the offset as the last argument (socket.io-client keeps it for the next recovery).
      expect(missed.map((args) => args[0])).toEqual([1, 2, 3, 4, 5, { six: [6], bytes: expect.anything() }, 7]);
      const six = missed[5]?.[0] as { bytes: unknown };
      expect([...new Uint8Array(six.bytes as ArrayBuffer)]).toEqual([6]);
      expect(notMine).toEqual([]);
      // Its rooms are B's now: a broadcast from A to "solo" (no member on A) reaches it there, once.
      const afterFromA = record(client, "after-from-a");
      const arrived = waitFor(client, "after-from-a");
      a.io.to("solo").emit("after-from-a", 8);
      expect((await arrived)[0]).toBe(8);
      const bounded = waitFor(client, "bound");
      b.io.to(firstId).emit("bound");
      await bounded;
      expect(afterFromA.length).toBe(1);
    } finally {
      client.io.reconnection(false);
      client.disconnect();
    }
  });

  test("broadcasts sent while the handed-over session waits in B's middleware reach it after the missed ones, in order, once", async () => {
    // socket.io skips middlewares for a recovered session by default: here they run, and one waits.
    await using nodes = await driver.start({ connectionStateRecovery: { maxDisconnectionDuration: WINDOW, skipMiddlewares: false } });
    const { a, b } = nodes;
    const onA = onFirstConnection(a);
    onFirstConnection(b);
    const { promise: entered, resolve: enter } = Promise.withResolvers<void>();
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    b.io.use((socket, next) => {
      if (!socket.recovered) return next();
      enter();
      void gate.then(() => next());
    });
    // A witness on B in "room": once it has A's sentinel, B has received A's broadcasts before it.
    const witness = await b.client();
    witness.socket.join("room");
    await using proxy = switchingProxy(a.url);
    const client = clientOf(proxy);
    try {
      await waitFor(client, "connect");
      const firstId = client.id ?? "";
      const first = await until(() => onA.find((socket) => socket.id === firstId), 2000, "the socket on A");
      const welcome = waitFor(client, "welcome");
      a.io.emit("welcome");
      await welcome;
      await dropFromA(client, first, proxy);
      const missed = record(client, "missed");
      a.io.to("room").emit("missed", 1);
      const back = waitFor(client, "connect", 5000);
      proxy.target = b.url;
      await withTimeout(entered, 3000, "B running the middleware for the recovered session");
      // The session is B's now, its socket not attached yet: these come from A and B meanwhile (B's
      // after A's have arrived: packets of two nodes have no order but the one B sees them in).
      a.io.to("room").emit("missed", 2);
      a.io.to(firstId).emit("missed", 3);
      const arrived = waitFor(witness.client, "sentinel");
      a.io.to("room").emit("sentinel");
      await arrived;
      b.io.to("solo").emit("missed", 4);
      open();
      await back;
      expect(client.id).toBe(firstId);
      expect(client.recovered).toBe(true);
      const bounded = waitFor(client, "bound");
      b.io.to(firstId).emit("bound");
      await bounded;
      expect(missed.map((args) => args[0])).toEqual([1, 2, 3, 4]);
    } finally {
      open();
      client.io.reconnection(false);
      client.disconnect();
    }
  });

  test("a session is handed over once: back on A after recovering on B, it is B that has it", async () => {
    await using nodes = await driver.start(RECOVERY);
    const { a, b } = nodes;
    const onA = onFirstConnection(a);
    const onB = onFirstConnection(b);
    await using proxy = switchingProxy(a.url);
    const client = clientOf(proxy);
    try {
      await waitFor(client, "connect");
      const firstId = client.id ?? "";
      const first = await until(() => onA.find((socket) => socket.id === firstId), 2000, "the socket on A");
      const welcome = waitFor(client, "welcome");
      a.io.emit("welcome");
      await welcome;
      await dropFromA(client, first, proxy);
      const toB = waitFor(client, "connect", 5000);
      proxy.target = b.url;
      await toB;
      expect(client.recovered).toBe(true);
      const onNodeB = await until(() => onB.find((socket) => socket.id === firstId), 2000, "the socket on B");
      const welcomeB = waitFor(client, "welcome-b");
      b.io.emit("welcome-b");
      await welcomeB;
      // Dropped from B, it comes back to A: A asks the cluster, and B (not A's stale copy) answers.
      const missed = record(client, "missed");
      const serverGone = waitFor(onNodeB, "disconnect");
      proxy.target = undefined;
      client.io.engine.close();
      await serverGone;
      b.io.to("room").emit("missed", "from-b");
      const toA = waitFor(client, "connect", 5000);
      proxy.target = a.url;
      await toA;
      expect(client.id).toBe(firstId);
      expect(client.recovered).toBe(true);
      const bounded = waitFor(client, "bound");
      a.io.to(firstId).emit("bound");
      await bounded;
      expect(missed.map((args) => args[0])).toEqual(["from-b"]);
    } finally {
      client.io.reconnection(false);
      client.disconnect();
    }
  });

  test("after the recovery window, the client reconnecting to B gets a fresh session", async () => {
    const window = 200;
    await using nodes = await driver.start({ connectionStateRecovery: { maxDisconnectionDuration: window } });
    const { a, b } = nodes;
    const onA = onFirstConnection(a);
    const onB = onFirstConnection(b);
    await using proxy = switchingProxy(a.url);
    const client = clientOf(proxy);
    try {
      await waitFor(client, "connect");
      const firstId = client.id ?? "";
      const first = await until(() => onA.find((socket) => socket.id === firstId), 2000, "the socket on A");
      const welcome = waitFor(client, "welcome");
      a.io.emit("welcome");
      await welcome;
      await dropFromA(client, first, proxy);
      const missed = record(client, "missed");
      a.io.emit("missed", 1);
      const disconnectedBy = Date.now();
      await until(() => (Date.now() > disconnectedBy + window + 50 ? true : undefined), 2000, "the recovery window to pass");
      const back = waitFor(client, "connect", 5000);
      proxy.target = b.url;
      await back;
      expect(client.recovered).toBe(false);
      expect(client.id).not.toBe(firstId);
      const fresh = await until(() => onB.find((socket) => socket.id === client.id), 2000, "the socket on B");
      expect(fresh.recovered).toBe(false);
      expect(fresh.data).toEqual({ n: 1, tags: ["x"] });
      const bounded = waitFor(client, "bound");
      b.io.to(fresh.id).emit("bound");
      await bounded;
      expect(missed).toEqual([]);
    } finally {
      client.io.reconnection(false);
      client.disconnect();
    }
  });
}
