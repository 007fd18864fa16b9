// A node's Redis connections drop and come back (cut at a TCP proxy between the node and Redis):
// pub/sub subscribes again, the room messages and DMs acknowledged meanwhile on either side reach
// every client once (the cut-off node catches up from the store and publishes its own again),
// room:join answers from this node while the bus is down, and the reconnects are counted.
import { describe, expect, test } from "bun:test";
import { emitAck, expectOk, record, startChat, waitFor, type UserStatus, type WireProfile } from "../support/chat-client.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { eventually } from "../faults/support.ts";
import { receives } from "./deliveries.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const available = await redisAvailable("bus outage tests");

const CLUSTER_ENV = { ADAPTER: "redis", DATABASE_URL: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/unused" };

type Delivered = { id: number; text: string };

const idsOf = (log: Delivered[]): number[] => log.map((m) => m.id);

describe.skipIf(!available)("the bus connection of a node drops and comes back", () => {
  test("messages and DMs acknowledged during the cut reach both sides once; room:join answers meanwhile; reconnects counted", async () => {
    await using proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const clusterKey = uniqueKey("outage");
    // Node one reaches Redis through the proxy; node two directly.
    await using one = await startChat({ ...CLUSTER_ENV, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, { clusterKey });
    await using two = await startChat(CLUSTER_ENV, { clusterKey });
    const [bob, ada, carol] = [await one.user("Bob"), await two.user("Ada"), await one.user("Carol")];
    const room = await two.createRoom(ada, { name: "Outage" });
    const other = await two.createRoom(ada, { name: "Joined during the cut" });
    const bobSocket = await one.connect(bob);
    const adaSocket = await two.connect(ada);
    expectOk(await emitAck(bobSocket, "room:join", room.id));
    expectOk(await emitAck(adaSocket, "room:join", room.id));
    const before = waitFor<Delivered>(bobSocket, "message:received");
    expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text: "before" }));
    expect((await before).text).toBe("before");

    const bobRoom = record<Delivered>(bobSocket, "message:received");
    const bobDms = record<Delivered>(bobSocket, "dm:received");
    const adaRoom = record<Delivered>(adaSocket, "message:received");
    const adaDms = record<Delivered>(adaSocket, "dm:received");

    // Listening from before the cut: each side sees its own messages at once, the other's later.
    const all = Promise.all([
      receives(bobSocket, "message:received", ["ada 1", "ada 2", "ada 3", "bob 1", "bob 2"]),
      receives(bobSocket, "dm:received", ["ada dm", "bob dm"]),
      receives(adaSocket, "message:received", ["ada 1", "ada 2", "ada 3", "bob 1", "bob 2"]),
      receives(adaSocket, "dm:received", ["ada dm", "bob dm"]),
    ]);
    await proxy.refuse();
    await eventually("node one's Redis connections closed", () => (proxy.open === 0 ? true : undefined));
    // Acknowledged on both sides while node one is cut off.
    for (const text of ["ada 1", "ada 2", "ada 3"]) expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text }));
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "ada dm" }));
    for (const text of ["bob 1", "bob 2"]) expectOk(await emitAck(bobSocket, "message:send", { roomId: room.id, text }));
    expectOk(await emitAck(bobSocket, "dm:send", { recipientId: ada.id, text: "bob dm" }));
    // The cluster cannot answer who else is in the room: this node does, and the join succeeds.
    expectOk(await emitAck(bobSocket, "room:join", other.id));
    // Carol comes online on the cut-off node: node two's users hear it once the bus is back.
    const carolOnline = waitFor<UserStatus>(adaSocket, "user:status", 20_000, (s) => s.userId === carol.id && s.status === "online");
    await one.connect(carol);

    await proxy.restore();
    await all;
    await carolOnline;
    // Sentinels from each side, through the bus: what was published before them has arrived.
    const sentinels = [waitFor(bobSocket, "dm:received", 5000, (m: Delivered) => m.text === "from two"), waitFor(adaSocket, "dm:received", 5000, (m: Delivered) => m.text === "from one")];
    expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "from two" }));
    expectOk(await emitAck(bobSocket, "dm:send", { recipientId: ada.id, text: "from one" }));
    await Promise.all(sentinels);

    for (const log of [bobRoom, adaRoom]) {
      expect(log.map((m) => m.text).sort()).toEqual(["ada 1", "ada 2", "ada 3", "bob 1", "bob 2"]);
      expect(new Set(idsOf(log)).size).toBe(log.length);
    }
    for (const log of [bobDms, adaDms]) {
      expect(log.map((m) => m.text).sort()).toEqual(["ada dm", "bob dm", "from one", "from two"]);
      expect(new Set(idsOf(log)).size).toBe(log.length);
    }

    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    expect(metrics).toMatch(/studyconnect_bus_reconnects_total\{connection="subscribe"\} [1-9]/);
    expect(metrics).toMatch(/studyconnect_bus_reconnects_total\{connection="publish"\} [1-9]/);
  });
});

describe.skipIf(!available)("a node cut off from Redis for longer than the presence timeout", () => {
  test("its users go offline for the others, and online again when it is back", async () => {
    await using proxy = await startTcpProxy({ host: "127.0.0.1", port: 6379 });
    const clusterKey = uniqueKey("outage");
    const heartbeat = { clusterKey, presenceHeartbeatMs: 150 };
    await using one = await startChat({ ...CLUSTER_ENV, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, heartbeat);
    await using two = await startChat(CLUSTER_ENV, heartbeat);
    const [bob, ada] = [await one.user("Bob"), await two.user("Ada")];
    const adaSocket = await two.connect(ada);
    const online = waitFor<UserStatus>(adaSocket, "user:status", 5000, (s) => s.userId === bob.id);
    await one.connect(bob);
    expect(await online).toEqual({ userId: bob.id, status: "online" });

    const offline = waitFor<UserStatus>(adaSocket, "user:status", 10_000, (s) => s.userId === bob.id);
    await proxy.refuse();
    expect(await offline).toEqual({ userId: bob.id, status: "offline" });
    expect((await two.rest<WireProfile>("GET", `/api/users/${bob.id}`, ada.token)).body.data.status).toBe("offline");

    const back = waitFor<UserStatus>(adaSocket, "user:status", 10_000, (s) => s.userId === bob.id);
    await proxy.restore();
    expect(await back).toEqual({ userId: bob.id, status: "online" });
    await eventually("Bob stored online again", async () =>
      (await two.rest<WireProfile>("GET", `/api/users/${bob.id}`, ada.token)).body.data.status === "online" ? true : undefined,
    );
  });
});
