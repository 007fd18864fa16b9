// Two nodes of our server on one Redis (the Redis adapter): broadcasts (all, room, except, from a
// socket, binary), fetchSockets, socketsJoin/Leave, disconnectSockets, serverSideEmit with acks and
// broadcasts with acks reach across nodes; a node acts on its own messages once; garbage on the bus is ignored.
import { describe, expect, test } from "bun:test";
import { encode } from "notepack.io";
import { RedisAdapter } from "../../src/adapter/index.ts";
import { expectNoEvent, record, waitFor } from "../support/sio-client.ts";
import { rejectionOf } from "../support/promises.ts";
import { redisAvailable, redisClient, startNode, uniqueKey } from "./support.ts";

const available = await redisAvailable("Redis adapter tests");

describe.skipIf(!available)("Redis adapter: two of our nodes", () => {
  test("io.emit reaches the clients of both nodes, once each", async () => {
    const key = uniqueKey("emit");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const onA = await a.client();
    const onB = await b.client({ transports: ["polling"] });
    const seenA = record(onA.client, "hello");
    const got = [waitFor(onA.client, "hello"), waitFor(onB.client, "hello")];
    a.io.emit("hello", { from: "a" }, 2);
    expect(await Promise.all(got)).toEqual([
      [{ from: "a" }, 2],
      [{ from: "a" }, 2],
    ]);
    // A sentinel sent after: the node did not also deliver its own message back from Redis.
    const sentinel = waitFor(onA.client, "sentinel");
    a.io.emit("sentinel");
    await sentinel;
    expect(seenA.length).toBe(1);
  });

  test("to(room), except(room) and socket.broadcast across nodes", async () => {
    const key = uniqueKey("rooms");
    await using a = await startNode(key);
    await using b = await startNode(key);
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

    // A socket's own room is a room too: a direct emit to a socket of the other node.
    const direct = waitFor(outsider.client, "direct");
    a.io.to(outsider.socket.id).emit("direct", 4);
    expect(await direct).toEqual([4]);
  });

  test("binary payloads cross the bus intact", async () => {
    const key = uniqueKey("binary");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const onB = await b.client();
    const got = waitFor<[Buffer, { nested: Buffer }]>(onB.client, "bin");
    a.io.emit("bin", new Uint8Array([1, 2, 3, 255]), { nested: Buffer.from("hé") });
    const [bytes, { nested }] = await got;
    expect([...new Uint8Array(bytes)]).toEqual([1, 2, 3, 255]);
    expect(Buffer.from(nested).toString()).toBe("hé");
  });

  test("fetchSockets lists both nodes' sockets; a remote one can be emitted to, joined and disconnected", async () => {
    const key = uniqueKey("fetch");
    await using a = await startNode(key);
    await using b = await startNode(key);
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

    const joinedRooms = b.io.of("/").adapter;
    found?.join("r2");
    const inR2 = waitFor(remote.client, "r2");
    // The join travels the bus like the emit after it: in order on one connection.
    a.io.to("r2").emit("r2", true);
    expect(await inR2).toEqual([true]);
    expect(joinedRooms.socketRooms(remote.socket.id)?.has("r2")).toBe(true);

    const gone = waitFor(remote.client, "disconnect");
    found?.disconnect();
    expect(await gone).toEqual(["io server disconnect"]);
  });

  test("socketsJoin, socketsLeave and disconnectSockets act on the other node too", async () => {
    const key = uniqueKey("bulk");
    await using a = await startNode(key);
    await using b = await startNode(key);
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

  test("allSockets and serverCount see the whole cluster", async () => {
    const key = uniqueKey("count");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const onA = await a.client();
    const onB = await b.client();
    expect(await a.io.of("/").adapter.serverCount()).toBe(2);
    expect([...(await a.io.allSockets())].sort()).toEqual([onA.socket.id, onB.socket.id].sort());
    onB.socket.join("x");
    expect([...(await a.io.of("/").adapter.allRooms())]).toContain("x");
  });

  test("serverSideEmit reaches the other node; with an ack each other node answers once", async () => {
    const key = uniqueKey("sse");
    await using a = await startNode(key);
    await using b = await startNode(key, {}, (io) => {
      io.on("question", (n: unknown, ack: unknown) => {
        if (typeof ack === "function") ack({ answer: Number(n) * 2 });
      });
    });
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
    const key = uniqueKey("sse-timeout");
    await using a = await startNode(key, { requestsTimeout: 200 });
    await using b = await startNode(key);
    b.io.on("silent", () => {});
    const error = await rejectionOf(a.io.serverSideEmitWithAck("silent"));
    expect(String(error)).toContain("timeout reached: only 0 responses received out of 1");
  });

  test("a broadcast with acks collects every client's answer on both nodes", async () => {
    const key = uniqueKey("acks");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const clients = [await a.client(), await b.client(), await b.client({ transports: ["polling"] })];
    clients.forEach(({ client }, i) => client.on("ask", (ack: (answer: unknown) => void) => ack(`c${i}`)));
    const answers = await a.io.timeout(2000).emitWithAck("ask");
    expect(answers.map(String).sort()).toEqual(["c0", "c1", "c2"]);

    // Only the other node's client answers: a node with no receivers still reports its count (0).
    const onlyRemote = await a.io.except(clients[0]?.socket.id ?? "").timeout(2000).emitWithAck("ask");
    expect(onlyRemote.map(String).sort()).toEqual(["c1", "c2"]);
  });

  test("a broadcast with acks times out when a remote client never answers", async () => {
    const key = uniqueKey("acks-timeout");
    await using a = await startNode(key);
    await using b = await startNode(key);
    const silent = await b.client();
    silent.client.on("ask", () => {});
    const error = await rejectionOf(a.io.timeout(300).emitWithAck("ask"));
    expect(String(error)).toContain("operation has timed out");
  });

  test("local broadcasts stay on their node", async () => {
    const key = uniqueKey("local");
    await using a = await startNode(key);
    await using b = await startNode(key);
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
    const key = uniqueKey("topics");
    await using a = await startNode(key);
    await using b = await startNode(key);
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
