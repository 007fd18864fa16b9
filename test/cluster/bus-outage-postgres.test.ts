// Under ADAPTER=postgres a node's bus connections drop (their backends ended by pg_terminate_backend,
// new ones refused at a proxy) while the other node's users keep sending: the LISTEN connection (the
// node catches up from the store once it listens again) and the NOTIFY pool (the node publishes its
// own messages again once a NOTIFY goes through). Every message reaches every client once, in order,
// also one committed late with an id below one the cut node delivered just before the drop.
import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { openDatabase } from "../../src/db/database.ts";
import { PostgresAdapter } from "../../src/socketio/index.ts";
import { emitAck, expectOk, record, startChat, waitFor, type ChatHarness, type WireSender } from "../support/chat-client.ts";
import { postgresOptions } from "../support/database.ts";
import { createFaultDatabase, postgresAnswersOrSkip, type FaultDatabase } from "../support/fault-database.ts";
import { capturingLogger, eventually } from "../faults/support.ts";
import { receives } from "./deliveries.ts";
import { uniqueKey } from "./support.ts";

const available = await postgresAnswersOrSkip("bus outage tests on Postgres");

type Delivered = { id: number; text: string; sender: WireSender };

type Cluster = {
  db: FaultDatabase;
  /** The node whose bus (LISTEN/NOTIFY and presence) reaches Postgres through `db.proxy`; its application database directly. */
  cut: ChatHarness;
  /** The node on the database directly. */
  other: ChatHarness;
  log: ReturnType<typeof capturingLogger>;
  [Symbol.asyncDispose](): Promise<void>;
};

async function twoNodes(name: string): Promise<Cluster> {
  const db = await createFaultDatabase();
  const appDatabase = await openDatabase(postgresOptions(db.directUrl, 5));
  await appDatabase.migrate();
  const clusterKey = uniqueKey(name);
  const log = capturingLogger();
  const cut = await startChat({ ADAPTER: "postgres", DATABASE_URL: db.url }, { database: appDatabase, clusterKey, logger: log });
  const other = await startChat({ ADAPTER: "postgres", DATABASE_URL: db.directUrl }, { ownDatabase: true, clusterKey });
  for (const node of [cut, other]) {
    const adapter = node.server.app.io.of("/").adapter;
    if (adapter instanceof PostgresAdapter) await adapter.whenServerCount(2);
  }
  return {
    db,
    cut,
    other,
    log,
    async [Symbol.asyncDispose]() {
      try {
        await cut[Symbol.asyncDispose]();
        await other[Symbol.asyncDispose]();
        await appDatabase.close();
      } finally {
        await db[Symbol.asyncDispose]();
      }
    },
  };
}

/**
 * Ends the cut node's bus backends of one kind (its LISTEN connection, or its NOTIFY pool), with the
 * proxy refusing new connections first, so they stay down until `db.proxy.restore()`. Resolves once
 * they are gone from the server.
 */
async function endBusBackends(db: FaultDatabase, kind: "listen" | "notify"): Promise<void> {
  await db.proxy.refuseNew();
  const ofKind = async (): Promise<number[]> => {
    const ports = db.proxy.upstreamPorts;
    const rows = await db.admin<{ pid: number; query: string; client_port: number }[]>`
      select pid, query, client_port from pg_stat_activity
      where datname = ${db.name} and application_name = 'studyconnect-bus'`;
    return rows.filter((row) => ports.includes(row.client_port) && row.query.startsWith("listen") === (kind === "listen")).map((row) => row.pid);
  };
  const pids = await ofKind();
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) await db.admin`select pg_terminate_backend(${pid})`;
  await eventually(`the cut node's ${kind} backends gone`, async () => ((await ofKind()).length === 0 ? true : undefined));
}

/** Bob on the cut node and Ada on the other, both in a room of Ada's: the users, their sockets and the room. */
async function bobAndAdaInRoom({ cut, other }: Cluster, name: string) {
  const [bob, ada] = [await cut.user("Bob"), await other.user("Ada")];
  const room = await other.createRoom(ada, { name });
  const [bobSocket, adaSocket] = [await cut.connect(bob), await other.connect(ada)];
  for (const socket of [bobSocket, adaSocket]) expectOk(await emitAck(socket, "room:join", room.id));
  return { bob, ada, room, bobSocket, adaSocket };
}

/** Each message once, and each sender's in the order sent (ids ascending). */
function expectOncePerSenderInOrder(log: Delivered[], sent: Record<string, string[]>): void {
  expect(new Set(log.map((m) => m.id)).size).toBe(log.length);
  for (const [senderId, texts] of Object.entries(sent)) {
    const theirs = log.filter((m) => m.sender.id === senderId);
    expect(theirs.map((m) => m.text)).toEqual(texts);
    expect(theirs.map((m) => m.id)).toEqual(theirs.map((m) => m.id).toSorted((a, b) => a - b));
  }
}

describe.skipIf(!available)("a node's Postgres bus connections drop and come back", () => {
  test("its LISTEN connection ended: what the other node's users sent meanwhile reaches its users once, in order, from the store", async () => {
    await using cluster = await twoNodes("listen-cut");
    const { db, cut, other } = cluster;
    const [bob, ada, carol] = [await cut.user("Bob"), await other.user("Ada"), await other.user("Carol")];
    const room = await other.createRoom(ada, { name: "Outage" });
    const [bobSocket, adaSocket, carolSocket] = [await cut.connect(bob), await other.connect(ada), await other.connect(carol)];
    for (const socket of [bobSocket, adaSocket, carolSocket]) expectOk(await emitAck(socket, "room:join", room.id));
    const before = waitFor<Delivered>(bobSocket, "message:received", 5000);
    expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text: "before" }));
    expect((await before).text).toBe("before");

    const bobRoom = record<Delivered>(bobSocket, "message:received");
    const bobDms = record<Delivered>(bobSocket, "dm:received");
    const all = Promise.all([
      receives(bobSocket, "message:received", ["ada 1", "ada 2", "ada 3", "carol 1", "carol 2"]),
      receives(bobSocket, "dm:received", ["ada dm", "carol dm"]),
    ]);
    await endBusBackends(db, "listen");
    // Acknowledged (stored) while the cut node listens to nothing: NOTIFY keeps none of it for later.
    for (const text of ["ada 1", "ada 2"]) expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text }));
    expectOk(await emitAck(carolSocket, "message:send", { roomId: room.id, text: "carol 1" }));
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "ada dm" }));
    expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text: "ada 3" }));
    expectOk(await emitAck(carolSocket, "dm:send", { recipientId: bob.id, text: "carol dm" }));
    expectOk(await emitAck(carolSocket, "message:send", { roomId: room.id, text: "carol 2" }));

    await db.proxy.restore();
    await all;
    // A sentinel through the bus: whatever the catch-up or the bus would still bring came before it.
    const sentinel = waitFor<Delivered>(bobSocket, "dm:received", 5000, (m) => m.text === "after");
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "after" }));
    await sentinel;

    expectOncePerSenderInOrder(bobRoom, { [ada.id]: ["ada 1", "ada 2", "ada 3"], [carol.id]: ["carol 1", "carol 2"] });
    expectOncePerSenderInOrder(bobDms, { [ada.id]: ["ada dm", "after"], [carol.id]: ["carol dm"] });
    // They came from the store (the bus had none of them for this node), and the relisten is counted.
    expect(cluster.log.text()).toMatch(/messages missed during a bus outage delivered messages=7\b/);
    const metrics = await (await fetch(`${cut.url}/metrics`)).text();
    expect(metrics).toMatch(/studyconnect_bus_reconnects_total\{connection="subscribe"\} [1-9]/);
  });

  test("its LISTEN connection ended just after a higher id arrived: a message committed late with a lower id still reaches its users, once", async () => {
    await using cluster = await twoNodes("listen-late");
    const { db } = cluster;
    const { bob, ada, room, bobSocket, adaSocket } = await bobAndAdaInRoom(cluster, "Late commit");
    const bobRoom = record<Delivered>(bobSocket, "message:received");
    // A third node's slow transaction: its id is allocated now, its commit comes after a later id's.
    const slow = postgres(db.directUrl, { max: 1, onnotice: () => {} });
    const late = await slow.reserve();
    let released = false;
    const release = () => {
      if (!released) late.release();
      released = true;
    };
    // Closed before the database is dropped (disposed before the cluster). A reserved connection
    // still out would hold end() to its timeout and then fail with CONNECTION_DESTROYED, hiding
    // whatever failed the test: released first (its open transaction ends with the connection).
    await using _slowClosed = {
      [Symbol.asyncDispose]: async () => {
        release();
        await slow.end({ timeout: 1 });
      },
    };
    await late`begin`;
    const [row] = await late<{ id: string }[]>`
      insert into messages (type, room_id, sender_id, text) values ('room', ${room.id}, ${ada.id}, 'late') returning id`;
    const faster = waitFor<Delivered>(bobSocket, "message:received", 5000, (m) => m.text === "faster");
    expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text: "faster" }));
    expect((await faster).id).toBeGreaterThan(Number(row?.id));
    // The bus drops; the slow message commits meanwhile, and its broadcast is lost with the outage.
    await endBusBackends(db, "listen");
    await late`commit`;
    release();
    const caughtUp = waitFor<Delivered>(bobSocket, "message:received", 10_000, (m) => m.text === "late");
    await db.proxy.restore();
    expect((await caughtUp).id).toBe(Number(row?.id));
    const sentinel = waitFor<Delivered>(bobSocket, "dm:received", 5000, (m) => m.text === "after");
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "after" }));
    await sentinel;
    // The catch-up read "faster" again from the store: delivered once all the same.
    expect(bobRoom.map((m) => m.text)).toEqual(["faster", "late"]);
  });

  test("its LISTEN connection ended under steady traffic: every message sent before, during and after reaches its users once, in order", async () => {
    await using cluster = await twoNodes("listen-traffic");
    const { db } = cluster;
    const { bob, ada, room, bobSocket, adaSocket } = await bobAndAdaInRoom(cluster, "Traffic");
    const bobRoom = record<Delivered>(bobSocket, "message:received");
    // One message after another, each acknowledged, until told to stop.
    const sent: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const text = `m${i}`;
        expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text }));
        sent.push(text);
      }
    })();
    const sentAtLeast = (count: number) => eventually(`${count} messages sent`, () => (sent.length >= count ? true : undefined));
    await sentAtLeast(5);
    await endBusBackends(db, "listen");
    await sentAtLeast(sent.length + 10);
    await db.proxy.restore();
    await eventually("the catch-up done", () => (cluster.log.text().includes("messages missed during a bus outage delivered") ? true : undefined));
    await sentAtLeast(sent.length + 10);
    sending = false;
    await sender;
    const sentinel = waitFor<Delivered>(bobSocket, "dm:received", 5000, (m) => m.text === "after");
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "after" }));
    await sentinel;

    // In the order sent, too: what the bus brought live during the catch-up waited for the older ones it read.
    expectOncePerSenderInOrder(bobRoom, { [ada.id]: sent });
  });

  test("its NOTIFY connections ended: what its users sent meanwhile reaches the other node's users once, in order, when a NOTIFY goes through again", async () => {
    await using cluster = await twoNodes("notify-cut");
    const { db, cut } = cluster;
    const { bob, ada, room, bobSocket, adaSocket } = await bobAndAdaInRoom(cluster, "Outage");
    const before = waitFor<Delivered>(adaSocket, "message:received", 5000);
    expectOk(await emitAck(bobSocket, "message:send", { roomId: room.id, text: "before" }));
    expect((await before).text).toBe("before");

    const adaRoom = record<Delivered>(adaSocket, "message:received");
    const adaDms = record<Delivered>(adaSocket, "dm:received");
    const bobRoom = record<Delivered>(bobSocket, "message:received");
    const all = Promise.all([
      receives(adaSocket, "message:received", ["bob 1", "bob 2", "bob 3"]),
      receives(adaSocket, "dm:received", ["bob dm"]),
    ]);
    await endBusBackends(db, "notify");
    // Stored and acknowledged on the cut node; their NOTIFYs fail (no connection to be had).
    for (const text of ["bob 1", "bob 2"]) expectOk(await emitAck(bobSocket, "message:send", { roomId: room.id, text }));
    expectOk(await emitAck(bobSocket, "dm:send", { recipientId: ada.id, text: "bob dm" }));
    expectOk(await emitAck(bobSocket, "message:send", { roomId: room.id, text: "bob 3" }));
    await eventually("a failed NOTIFY logged", () => (cluster.log.text().includes("postgres adapter: notify on") ? true : undefined));

    await db.proxy.restore();
    // The first NOTIFY through after the outage (a typing indicator here, else the next heartbeat)
    // has the node publish its own messages of the outage again.
    expectOk(await emitAck(bobSocket, "typing:start", { roomId: room.id }));
    await all;
    const sentinel = waitFor<Delivered>(adaSocket, "dm:received", 5000, (m) => m.text === "after");
    expectOk(await emitAck(bobSocket, "dm:send", { recipientId: ada.id, text: "after" }));
    await sentinel;

    expectOncePerSenderInOrder(adaRoom, { [bob.id]: ["bob 1", "bob 2", "bob 3"] });
    expectOncePerSenderInOrder(adaDms, { [bob.id]: ["bob dm", "after"] });
    // The sender's own sockets heard each once too, although the node broadcast them again.
    expectOncePerSenderInOrder(bobRoom, { [bob.id]: ["bob 1", "bob 2", "bob 3"] });
    expect(cluster.log.text()).toMatch(/own messages published again after a bus outage/);
    const metrics = await (await fetch(`${cut.url}/metrics`)).text();
    expect(metrics).toMatch(/studyconnect_bus_reconnects_total\{connection="publish"\} [1-9]/);
  });

  test("its LISTEN connection refused for seconds: it listens again within about a second of the database's return, not after postgres.js' growing wait", async () => {
    await using cluster = await twoNodes("listen-long");
    const { db, cut, other } = cluster;
    const [bob, ada] = [await cut.user("Bob"), await other.user("Ada")];
    const [bobSocket, adaSocket] = [await cut.connect(bob), await other.connect(ada)];
    await endBusBackends(db, "listen");
    // Long enough for postgres.js' default wait between attempts (3^n / 100 s) to reach several seconds.
    const cutAt = performance.now();
    await eventually("4 s of refused connections", () => (performance.now() - cutAt > 4000 ? true : undefined), 6000);
    await db.proxy.restore();
    const back = performance.now();
    // Live through the bus again: a DM sent from the other node now reaches Bob without a catch-up.
    await eventually("the cut node listening again", async () => {
      const metrics = await (await fetch(`${cut.url}/metrics`)).text();
      return /studyconnect_bus_reconnects_total\{connection="subscribe"\} [1-9]/.test(metrics) ? true : undefined;
    }, 15_000, 20);
    expect(performance.now() - back).toBeLessThan(2500);
    const live = waitFor<Delivered>(bobSocket, "dm:received", 5000, (m) => m.text === "live");
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "live" }));
    await live;
  }, 30_000);
});
