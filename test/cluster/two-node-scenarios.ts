// Two of our nodes on one cluster bus, whichever driver carries it (Redis, Postgres): broadcasts
// (all, room, except, from a socket, binary), fetchSockets, socketsJoin/Leave, disconnectSockets,
// serverSideEmit with acks and broadcasts with acks reach across nodes; a node acts on its own messages once.
import { expect, test } from "bun:test";
import type { Server } from "../../src/socketio/index.ts";
import { rejectionOf } from "../support/promises.ts";
import { expectNoEvent, record, waitFor } from "../support/sio-client.ts";
import type { ServedNode } from "./support.ts";

export type TwoNodes = { a: ServedNode; b: ServedNode } & AsyncDisposable;

export type ClusterDriver = {
  /** Two nodes of a new cluster of their own, each counting the other once returned; disposing stops both. */
  start(options?: { requestsTimeout?: number; setupB?: (io: Server) => void }): Promise<TwoNodes>;
  /** What serverSideEmitWithAck says when the other node stays silent past the request timeout. */
  silentNodeError: string;
};

/** Registers the scenarios as tests of the calling describe block. */
export function twoNodeScenarios(driver: ClusterDriver): void {
  test("io.emit reaches the clients of both nodes, once each", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const onA = await a.client();
    const onB = await b.client({ transports: ["polling"] });
    const seenA = record(onA.client, "hello");
    const got = [waitFor(onA.client, "hello"), waitFor(onB.client, "hello")];
    a.io.emit("hello", { from: "a" }, 2);
    expect(await Promise.all(got)).toEqual([
      [{ from: "a" }, 2],
      [{ from: "a" }, 2],
    ]);
    // A sentinel sent after: the node did not also deliver its own message back from the bus.
    const sentinel = waitFor(onA.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(seenA.length).toBe(1);
  });

  test("to(room), except(room) and socket.broadcast across nodes", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const member = await b.client();
    const outsider = await b.client();
    const sender = await a.client();
    member.socket.join("study");

    const toRoom = waitFor(member.client, "room-only");
    const notOutsider = expectNoEvent(outsider.client, "room-only", 300);
    a.io.to("study").emit("room-only", 1);
    expect(await toRoom).toEqual([1]);
    await notOutsider;

    const toOutsider = waitFor(outsider.client, "not-study");
    const notMember = expectNoEvent(member.client, "not-study", 300);
    a.io.except("study").emit("not-study", 2);
    expect(await toOutsider).toEqual([2]);
    await notMember;

    const others = [waitFor(member.client, "from-socket"), waitFor(outsider.client, "from-socket")];
    const notSelf = expectNoEvent(sender.client, "from-socket", 300);
    sender.socket.broadcast.emit("from-socket", 3);
    expect(await Promise.all(others)).toEqual([[3], [3]]);
    await notSelf;

    const direct = waitFor(outsider.client, "direct");
    a.io.to(outsider.socket.id).emit("direct", 4);
    expect(await direct).toEqual([4]);
  });

  test("binary payloads cross intact, in order with the broadcasts around them", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const onB = await b.client();
    const seen = record(onB.client, "seq");
    const got = waitFor<[Buffer, { nested: Buffer }]>(onB.client, "bin");
    a.io.emit("seq", 1);
    a.io.emit("bin", new Uint8Array([1, 2, 3, 255]), { nested: Buffer.from("hé") });
    a.io.emit("seq", 2);
    const [bytes, { nested }] = await got;
    expect([...new Uint8Array(bytes)]).toEqual([1, 2, 3, 255]);
    expect(Buffer.from(nested).toString()).toBe("hé");
    const sentinel = waitFor(onB.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(seen).toEqual([[1], [2]]);
  });

  test("fetchSockets lists both nodes' sockets; a remote one can be emitted to, joined and disconnected", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const local = await a.client();
    const remote = await b.client();
    remote.socket.data = { user: "bea" };
    remote.socket.join("r1");

    const all = await a.io.fetchSockets();
    expect(all.map((s) => s.id).sort()).toEqual([local.socket.id, remote.socket.id].sort());
    const [found] = await a.io.in("r1").fetchSockets();
    expect(found?.id).toBe(remote.socket.id);
    expect(found?.data).toEqual({ user: "bea" });
    expect([...(found?.rooms ?? [])].sort()).toEqual([remote.socket.id, "r1"].sort());
    expect(found?.handshake.query.EIO).toBe("4");

    const hello = waitFor(remote.client, "hi");
    found?.emit("hi", "there");
    expect(await hello).toEqual(["there"]);

    found?.join("r2");
    const inR2 = waitFor(remote.client, "r2");
    // The join travels the bus like the emit after it, in order.
    a.io.to("r2").emit("r2", true);
    expect(await inR2).toEqual([true]);
    expect(b.io.of("/").adapter.socketRooms(remote.socket.id)?.has("r2")).toBe(true);

    const gone = waitFor(remote.client, "disconnect");
    found?.disconnect();
    expect(await gone).toEqual(["io server disconnect"]);
  });

  test("socketsJoin, socketsLeave and disconnectSockets act on the other node too", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const onA = await a.client();
    const onB = await b.client();

    a.io.socketsJoin("all-in");
    const both = [waitFor(onA.client, "joined"), waitFor(onB.client, "joined")];
    a.io.to("all-in").emit("joined");
    await Promise.all(both);
    expect(b.io.of("/").adapter.rooms.get("all-in")?.has(onB.socket.id)).toBe(true);

    a.io.in("all-in").socketsLeave("all-in");
    const sentinel = waitFor(onB.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(b.io.of("/").adapter.rooms.has("all-in")).toBe(false);
    expect(a.io.of("/").adapter.rooms.has("all-in")).toBe(false);

    const goneB = waitFor(onB.client, "disconnect");
    const goneA = waitFor(onA.client, "disconnect");
    a.io.disconnectSockets();
    expect(await Promise.all([goneA, goneB])).toEqual([["io server disconnect"], ["io server disconnect"]]);
  });

  test("allSockets, allRooms and serverCount see the whole cluster", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const onA = await a.client();
    const onB = await b.client();
    expect(await a.io.of("/").adapter.serverCount()).toBe(2);
    expect([...(await a.io.allSockets())].sort()).toEqual([onA.socket.id, onB.socket.id].sort());
    onB.socket.join("x");
    expect([...(await a.io.of("/").adapter.allRooms())]).toContain("x");
  });

  test("serverSideEmit reaches the other node; with an ack each other node answers once", async () => {
    await using nodes = await driver.start({
      setupB: (io) => {
        io.on("question", (n: unknown, ack: unknown) => {
          if (typeof ack === "function") ack({ answer: Number(n) * 2 });
        });
      },
    });
    const { a, b } = nodes;
    const heard = waitFor(b.io.of("/"), "note");
    const notSelf = expectNoEvent(a.io.of("/"), "note", 300);
    a.io.serverSideEmit("note", "x", 1);
    expect(await heard).toEqual(["x", 1]);
    await notSelf;

    expect(await a.io.serverSideEmitWithAck("question", 21)).toEqual([{ answer: 42 }]);
    const answered = new Promise<unknown[]>((resolve, reject) =>
      a.io.serverSideEmit("question", 1, (error: Error | null, responses: unknown[]) => (error ? reject(error) : resolve(responses))),
    );
    expect(await answered).toEqual([{ answer: 2 }]);
  });

  test("serverSideEmitWithAck fails after the request timeout when a node does not answer", async () => {
    await using nodes = await driver.start({ requestsTimeout: 200 });
    const { a, b } = nodes;
    b.io.on("silent", () => {});
    const error = await rejectionOf(a.io.serverSideEmitWithAck("silent"));
    expect(String(error)).toContain(driver.silentNodeError);
  });

  test("a broadcast with acks collects every client's answer on both nodes", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const clients = [await a.client(), await b.client(), await b.client({ transports: ["polling"] })];
    clients.forEach(({ client }, i) => client.on("ask", (ack: (answer: unknown) => void) => ack(`c${i}`)));
    const answers = await a.io.timeout(2000).emitWithAck("ask");
    expect(answers.map(String).sort()).toEqual(["c0", "c1", "c2"]);

    const onlyRemote = await a.io.except(clients[0]?.socket.id ?? "").timeout(2000).emitWithAck("ask");
    expect(onlyRemote.map(String).sort()).toEqual(["c1", "c2"]);
  });

  test("a broadcast with acks times out when a remote client never answers", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const silent = await b.client();
    silent.client.on("ask", () => {});
    const error = await rejectionOf(a.io.timeout(300).emitWithAck("ask"));
    expect(String(error)).toContain("operation has timed out");
  });

  test("local broadcasts stay on their node", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const onA = await a.client();
    const onB = await b.client();
    const notRemote = expectNoEvent(onB.client, "here", 300);
    const mine = waitFor(onA.client, "here");
    a.io.local.emit("here");
    await mine;
    await notRemote;
    expect((await a.io.local.fetchSockets()).map((s) => s.id)).toEqual([onA.socket.id]);
  });

  test("a broadcast from the bus reaches this node's WebSocket clients as one Bun topic publish, no per-socket send", async () => {
    await using nodes = await driver.start();
    const { a, b } = nodes;
    const members = [await b.client(), await b.client(), await b.client()];
    for (const { socket } of members) socket.join("lecture");
    const topics: string[] = [];
    const publish = b.io.publish.bind(b.io);
    b.io.publish = (topic, messages, except) => {
      topics.push(topic);
      publish(topic, messages, except);
    };
    const sends = members.map(({ socket }) => {
      const counted = { calls: 0 };
      const deliver = socket.deliver.bind(socket);
      socket.deliver = (messages) => {
        counted.calls++;
        deliver(messages);
      };
      return counted;
    });
    const got = members.map(({ client }) => waitFor(client, "in-lecture"));
    a.io.to("lecture").emit("in-lecture", 1);
    await Promise.all(got);
    expect(topics.length).toBe(1);
    expect(sends.map((s) => s.calls)).toEqual([0, 0, 0]);
  });
}
