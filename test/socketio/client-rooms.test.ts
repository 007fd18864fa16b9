// Rooms and broadcasting with the real socket.io-client: every broadcast operator with the
// receivers AND the non-receivers checked (a bounded wait after the expected deliveries), acks
// from every receiver, fetchSockets and the bulk operations, and room cleanup on disconnect.
// Clients mix transports so both fan-out paths are used: websocket sessions get Bun topic
// publishes, polling sessions get the same frames from JS.
import { describe, expect, test } from "bun:test";
import { roomTopic } from "../../src/adapter/index.ts";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import {
  FAST_HEARTBEAT,
  reconnectionControl,
  record,
  sentinelFrom,
  startSio,
  until,
  waitFor,
  withTimeout,
  type ClientOptions,
  type ClientSocket,
  type Emitting,
  type SioHarness,
} from "../support/sio-client.ts";

type Ack = (...args: unknown[]) => void;
type Member = { client: ClientSocket; socket: ServerSocket };
type Name = "A" | "B" | "C" | "D";
type Members = Record<Name, Member>;


const LAYOUT: Record<Name, { rooms: string[]; options: ClientOptions }> = {
  A: { rooms: ["r1"], options: { transports: ["websocket"] } },
  B: { rooms: ["r1", "r2"], options: { transports: ["polling"] } },
  C: { rooms: ["r2"], options: {} }, // polling, then upgrade
  D: { rooms: [], options: { transports: ["websocket"] } },
};

/** Server joins each socket to the rooms named in its auth and records its name in socket.data. */
function installRoomJoiner(h: SioHarness): void {
  h.io.on("connection", (socket) => {
    const auth = socket.handshake.auth as { name?: string; rooms?: string[] };
    socket.data = { name: auth.name };
    if (auth.rooms) socket.join(auth.rooms);
  });
}

async function connectMembers(h: SioHarness): Promise<Members> {
  installRoomJoiner(h);
  const entries = await Promise.all(
    (Object.keys(LAYOUT) as Name[]).map(async (name) => {
      const { rooms, options } = LAYOUT[name];
      const client = await h.connect("/", { ...options, auth: { name, rooms } });
      const socket = h.io.of("/").sockets.get(client.id ?? "");
      if (!socket) throw new Error(`no server socket for ${name}`);
      return [name, { client, socket }] as const;
    }),
  );
  return Object.fromEntries(entries) as Members;
}

type Step = { event: string; expected: Name[]; seen: Record<Name, unknown[][]> };
type Extra = { label: string; seen: unknown[][]; want: number; from: Emitting; client: ClientSocket };

/**
 * Checks broadcasts for exact receivers. `deliveries(event, expected, act)` runs act, then sends
 * every member a direct "barrier" emit and waits for it: per-receiver ordering means anything the
 * broadcast would deliver has arrived by then. `finish()` sends one more barrier (to every member still
 * connected, and to the extra clients) and checks every count again, so late or duplicate deliveries are
 * caught too.
 */
function tracker(members: Members) {
  const names = Object.keys(members) as Name[];
  const steps: Step[] = [];
  const extras: Extra[] = [];
  let barriers = 0;

  const countsOf = (step: Step) => Object.fromEntries(names.map((name) => [name, step.seen[name].length]));
  const wantOf = (step: Step) => Object.fromEntries(names.map((name) => [name, step.expected.includes(name) ? 1 : 0]));

  async function barrier(): Promise<void> {
    const event = `barrier-${barriers++}`;
    const reachable = names.filter((name) => members[name].socket.connected);
    const arrived = reachable.map((name) => waitFor(members[name].client, event));
    for (const name of reachable) members[name].socket.emit(event);
    await Promise.all(arrived);
  }

  return {
    async deliveries(event: string, expected: Name[], act: () => void): Promise<unknown[][]> {
      const seen = Object.fromEntries(names.map((name) => [name, record(members[name].client, event)])) as Record<Name, unknown[][]>;
      const step = { event, expected, seen };
      steps.push(step);
      act();
      await until(() => (expected.every((name) => seen[name].length > 0) ? true : undefined), 2000, `${event} at ${expected.join(",")}`);
      await barrier();
      expect({ event, counts: countsOf(step) }).toEqual({ event, counts: wantOf(step) });
      return expected.map((name) => seen[name][0] ?? []);
    },
    /** A recorder on a client outside the members (checked again by finish(), after a sentinel `from` emits to `client`). */
    also(label: string, seen: unknown[][], want: number, from: Emitting, client: ClientSocket): void {
      extras.push({ label, seen, want, from, client });
      expect({ label, count: seen.length }).toEqual({ label, count: want });
    },
    async finish(): Promise<void> {
      await barrier();
      for (const extra of extras) await sentinelFrom(extra.from, extra.client);
      for (const step of steps) expect({ event: step.event, counts: countsOf(step) }).toEqual({ event: step.event, counts: wantOf(step) });
      for (const extra of extras) expect({ label: extra.label, count: extra.seen.length }).toEqual({ label: extra.label, count: extra.want });
    },
  };
}

describe("rooms", () => {
  test("socket.rooms holds its own id; join/leave update it; adapter.rooms mirrors membership", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const client = await h.connect();
    const [socket] = await connection;
    expect([...socket.rooms]).toEqual([socket.id]);
    socket.join("a");
    socket.join(["b", "c"]);
    expect(socket.rooms).toEqual(new Set([socket.id, "a", "b", "c"]));
    const adapter = h.io.of("/").adapter;
    expect(adapter.rooms.get("a")).toEqual(new Set([socket.id]));
    socket.leave("b");
    expect(socket.rooms).toEqual(new Set([socket.id, "a", "c"]));
    expect(adapter.rooms.has("b")).toBe(false);
    expect(client.connected).toBe(true);
  });

  test("a disconnected socket leaves every room: adapter.rooms and sids end up empty", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const members = await connectMembers(h);
    const adapter = h.io.of("/").adapter;
    expect(adapter.rooms.get("r1")).toEqual(new Set([members.A.socket.id, members.B.socket.id]));
    const goneA = waitFor(members.A.socket, "disconnect");
    members.A.client.disconnect();
    await goneA;
    expect(adapter.rooms.get("r1")).toEqual(new Set([members.B.socket.id]));
    expect(adapter.rooms.has(members.A.socket.id)).toBe(false);
    expect(adapter.sids.has(members.A.socket.id)).toBe(false);
    expect(members.A.socket.rooms.size).toBe(0);
    const rest = (["B", "C", "D"] as const).map((name) => waitFor(members[name].socket, "disconnect"));
    for (const name of ["B", "C", "D"] as const) members[name].client.disconnect();
    await Promise.all(rest);
    expect([...adapter.rooms.keys()]).toEqual([]);
    expect([...adapter.sids.keys()]).toEqual([]);
    expect(h.io.of("/").sockets.size).toBe(0);
  });

  test("a room's topic has subscribers only from two members on; at every size a broadcast reaches each member once", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const topic = roomTopic("/", "r");
    const pair = async () => {
      const connection = waitFor<[ServerSocket]>(h.io, "connection");
      const client = await h.connect("/", { transports: ["websocket"] });
      const [socket] = await connection;
      return { client, socket, got: record(client, "m") };
    };
    const a = await pair();
    const b = await pair();
    // Each step's emit is followed by a sentinel to everyone connected, so a late or missing delivery shows.
    let step = 0;
    const broadcast = async () => {
      step++;
      h.io.to("r").emit("m", step);
      const sentinels = [a, b].filter(({ client }) => client.connected).map(({ client }) => waitFor(client, "sentinel"));
      h.io.emit("sentinel");
      await Promise.all(sentinels);
    };

    a.socket.join("r");
    expect(h.server.subscriberCount(topic)).toBe(0);
    await broadcast();
    b.socket.join("r");
    expect(h.server.subscriberCount(topic)).toBe(2);
    await broadcast();
    a.socket.leave("r");
    expect(h.server.subscriberCount(topic)).toBe(0);
    await broadcast();
    a.socket.join("r");
    expect(h.server.subscriberCount(topic)).toBe(2);
    await broadcast();
    const bGone = waitFor(b.socket, "disconnect");
    b.client.disconnect();
    await bGone;
    expect(h.server.subscriberCount(topic)).toBe(0);
    await broadcast();
    expect(a.got).toEqual([[1], [2], [4], [5]]);
    expect(b.got).toEqual([[2], [3], [4]]);
  });

  test("join after disconnect does not leak a room", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const client = await h.connect();
    const [socket] = await connection;
    const gone = waitFor(socket, "disconnect");
    client.disconnect();
    await gone;
    socket.join("late");
    expect(h.io.of("/").adapter.rooms.has("late")).toBe(false);
  });
});

describe("broadcast operators (receivers and exclusions)", () => {
  test("io.to / io.in / io.except / io.to([a,b]) / io.to(a).except(b) / io.except([a,b]) / io.emit / io.to(socket id)", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const [a] = await t.deliveries("to-r1", ["A", "B"], () => h.io.to("r1").emit("to-r1", { x: 1 }));
    expect(a).toEqual([{ x: 1 }]);
    await t.deliveries("in-r2", ["B", "C"], () => h.io.in("r2").emit("in-r2"));
    await t.deliveries("except-r1", ["C", "D"], () => h.io.except("r1").emit("except-r1"));
    // B is in both rooms and gets it once.
    await t.deliveries("to-both", ["A", "B", "C"], () => h.io.to(["r1", "r2"]).emit("to-both"));
    await t.deliveries("to-chained", ["A", "B", "C"], () => h.io.to("r1").to("r2").emit("to-chained"));
    await t.deliveries("r1-not-r2", ["A"], () => h.io.to("r1").except("r2").emit("r1-not-r2"));
    await t.deliveries("except-both", ["D"], () => h.io.except(["r1", "r2"]).emit("except-both"));
    await t.deliveries("all", ["A", "B", "C", "D"], () => h.io.emit("all", 1, 2));
    await t.deliveries("to-id", ["D"], () => h.io.to(m.D.socket.id).emit("to-id"));
    await t.deliveries("to-id-and-room", ["C", "A", "B"], () => h.io.to([m.C.socket.id, "r1"]).emit("to-id-and-room"));
    await t.deliveries("except-id", ["A", "C", "D"], () => h.io.except(m.B.socket.id).emit("except-id"));
    await t.deliveries("to-nobody", [], () => h.io.to("no-such-room").emit("to-nobody"));
    await t.deliveries("of-root", ["A", "B"], () => h.io.of("/").to("r1").emit("of-root"));
    await t.finish();
  });

  test("except a room of one member or of none (sent on a topic) is exact on every transport", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    // A on websocket, B on polling, C upgraded: each alone in a room of its own.
    m.A.socket.join("solo-a");
    m.B.socket.join("solo-b");
    m.C.socket.join("solo-c");
    await t.deliveries("except-solo-a", ["B", "C", "D"], () => h.io.except("solo-a").emit("except-solo-a"));
    await t.deliveries("except-solo-b", ["A", "C", "D"], () => h.io.except("solo-b").emit("except-solo-b"));
    await t.deliveries("except-solo-c", ["A", "B", "D"], () => h.io.except("solo-c").emit("except-solo-c"));
    await t.deliveries("except-empty-room", ["A", "B", "C", "D"], () => h.io.except("nobody-here").emit("except-empty-room"));
    await t.deliveries("r1-except-solo-a", ["B"], () => h.io.to("r1").except("solo-a").emit("r1-except-solo-a"));
    await t.deliveries("r2-except-solo-b", ["C"], () => h.io.to("r2").except("solo-b").emit("r2-except-solo-b"));
    // A second member turns the room into a real exclusion of two.
    m.D.socket.join("solo-a");
    await t.deliveries("except-pair", ["B", "C"], () => h.io.except("solo-a").emit("except-pair"));
    // Its only member gone, the room excludes nobody.
    m.A.socket.leave("solo-b");
    m.B.socket.leave("solo-b");
    await t.deliveries("except-left-room", ["A", "B", "C", "D"], () => h.io.except("solo-b").emit("except-left-room"));
    await t.finish();
  });

  test("socket.to(room) / socket.broadcast / socket.except exclude the sender", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    await t.deliveries("a-to-r1", ["B"], () => m.A.socket.to("r1").emit("a-to-r1"));
    // B is in r1 and r2: the others of both rooms, once each.
    await t.deliveries("b-to-both", ["A", "C"], () => m.B.socket.to(["r1", "r2"]).emit("b-to-both"));
    await t.deliveries("b-in-r2", ["C"], () => m.B.socket.in("r2").emit("b-in-r2"));
    await t.deliveries("a-broadcast", ["B", "C", "D"], () => m.A.socket.broadcast.emit("a-broadcast"));
    await t.deliveries("c-broadcast", ["A", "B", "D"], () => m.C.socket.broadcast.emit("c-broadcast"));
    await t.deliveries("a-except-r2", ["D"], () => m.A.socket.except("r2").emit("a-except-r2"));
    await t.deliveries("d-to-r1-except-r2", ["A"], () => m.D.socket.to("r1").except("r2").emit("d-to-r1-except-r2"));
    await t.deliveries("a-broadcast-to-r1", ["B"], () => m.A.socket.broadcast.to("r1").emit("a-broadcast-to-r1"));
    // A socket sending to its own room reaches nobody (it is excluded).
    await t.deliveries("a-to-self", [], () => m.A.socket.to(m.A.socket.id).emit("a-to-self"));
    await t.finish();
  });

  test("operators are immutable: deriving a new one leaves the original unchanged", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const r1 = h.io.to("r1");
    const narrowed = r1.except("r2");
    const withR2 = r1.to("r2");
    await t.deliveries("orig", ["A", "B"], () => r1.emit("orig"));
    await t.deliveries("narrowed", ["A"], () => narrowed.emit("narrowed"));
    await t.deliveries("widened", ["A", "B", "C"], () => withR2.emit("widened"));
    await t.deliveries("orig-again", ["A", "B"], () => r1.emit("orig-again"));
    await t.finish();
  });

  test("namespace-level io.of('/x').to(room) reaches that namespace's room only", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    h.io.of("/x").on("connection", (socket) => {
      const auth = socket.handshake.auth as { rooms?: string[] };
      if (auth.rooms) socket.join(auth.rooms);
    });
    // E: /x on its own connection, in /x's r1. F: /x multiplexed with A's connection, no room.
    const e = await h.connect("/x", { transports: ["polling"], auth: { rooms: ["r1"] } });
    const f = await h.multiplex(m.A.client, "/x");
    expect(f.io.engine).toBe(m.A.client.io.engine);
    const inX = record(e, "x-r1");
    const fGot = record(f, "x-r1");
    await t.deliveries("x-r1", [], () => h.io.of("/x").to("r1").emit("x-r1"));
    await until(() => (inX.length > 0 ? true : undefined), 1000, "x-r1 at E");
    const x = h.io.of("/x");
    t.also("E x-r1", inX, 1, x, e);
    t.also("F x-r1", fGot, 0, x, f);
    // And the main namespace's r1 does not reach /x's r1.
    const eMain = record(e, "main-r1");
    await t.deliveries("main-r1", ["A", "B"], () => h.io.to("r1").emit("main-r1"));
    t.also("E main-r1", eMain, 0, x, e);
    // io.of("/x").emit reaches both /x sockets, none of /.
    const eAll = record(e, "x-all");
    const fAll = record(f, "x-all");
    await t.deliveries("x-all", [], () => h.io.of("/x").emit("x-all"));
    await until(() => (eAll.length > 0 && fAll.length > 0 ? true : undefined), 1000, "x-all at E and F");
    t.also("E x-all", eAll, 1, x, e);
    t.also("F x-all", fAll, 1, x, f);
    await t.finish();
  });

  test("io.local and io.compress(false) deliver like plain broadcasts on one node", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    await t.deliveries("local-all", ["A", "B", "C", "D"], () => h.io.local.emit("local-all"));
    await t.deliveries("local-r2", ["B", "C"], () => h.io.local.to("r2").emit("local-r2"));
    await t.deliveries("socket-local", ["B", "C", "D"], () => m.A.socket.local.emit("socket-local"));
    await t.deliveries("uncompressed", ["A", "B"], () => h.io.compress(false).to("r1").emit("uncompressed"));
    await t.finish();
  });

  // Volatile broadcasts may skip receivers whose transport cannot take a packet right now. What is
  // checked: once every receiver's transport is writable (polling ones have a GET waiting), a
  // volatile broadcast reaches exactly the targeted receivers.
  test("volatile broadcasts reach writable receivers, with the usual exclusions", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const allWritable = () => ((Object.keys(m) as Name[]).every((name) => m[name].socket.conn.writable) ? true : undefined);
    await until(allWritable, 2000, "all transports writable");
    await t.deliveries("v-all", ["A", "B", "C", "D"], () => h.io.volatile.emit("v-all", 1));
    await until(allWritable, 2000, "all transports writable");
    await t.deliveries("v-r1", ["A", "B"], () => h.io.volatile.to("r1").emit("v-r1"));
    await until(allWritable, 2000, "all transports writable");
    await t.deliveries("v-broadcast", ["A", "C", "D"], () => m.B.socket.volatile.broadcast.emit("v-broadcast"));
    await t.finish();
  });

  test("binary broadcasts reach every receiver intact", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const got = await t.deliveries("bin", ["A", "B"], () =>
      h.io.to("r1").emit("bin", { blob: Buffer.from([1, 2, 3]) }, [new Uint8Array([4])]),
    );
    for (const args of got) {
      const blob = (args[0] as { blob: unknown }).blob;
      const inner = (args[1] as unknown[])[0];
      for (const [value, bytes] of [
        [blob, [1, 2, 3]],
        [inner, [4]],
      ] as const) {
        const view = value instanceof ArrayBuffer ? new Uint8Array(value) : (value as Uint8Array);
        expect([...view]).toEqual([...bytes]);
      }
    }
    await t.finish();
  });

  test("per receiver, direct emits and broadcasts keep their order (websocket and polling)", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    for (const name of ["A", "B"] as const) {
      const { client, socket } = m[name];
      // One event name per receiver's round: broadcasts of A's round still on their way to B are not B's.
      const event = `seq-${name}`;
      const seen = record(client, event);
      for (let i = 0; i < 30; i += 3) {
        socket.emit(event, i);
        h.io.to("r1").emit(event, i + 1);
        h.io.emit(event, i + 2);
      }
      await until(() => (seen.length >= 30 ? true : undefined), 2000, `30 seq at ${name}`);
      expect(seen.map((args) => args[0])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    }
    await t.finish();
  });
});

describe("broadcast acks", () => {
  test("io.timeout().emit collects one response per receiver; to(room) narrows; zero receivers answer at once", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    for (const name of Object.keys(m) as Name[]) m[name].client.on("q", (n: number, ack: Ack) => ack(`${name}:${n}`));
    const all = await withTimeout(
      new Promise<[Error | null, unknown[]]>((resolve) => h.io.timeout(1000).emit("q", 1, (err: Error | null, responses: unknown[]) => resolve([err, responses]))),
      2000,
      "broadcast acks",
    );
    expect(all[0]).toBeNull();
    expect([...all[1]].sort()).toEqual(["A:1", "B:1", "C:1", "D:1"]);

    const r2 = await withTimeout(
      new Promise<[Error | null, unknown[]]>((resolve) => h.io.to("r2").timeout(1000).emit("q", 2, (err: Error | null, responses: unknown[]) => resolve([err, responses]))),
      2000,
      "room acks",
    );
    expect(r2[0]).toBeNull();
    expect([...r2[1]].sort()).toEqual(["B:2", "C:2"]);

    const fromA = await withTimeout(
      new Promise<[Error | null, unknown[]]>((resolve) => m.A.socket.broadcast.timeout(1000).emit("q", 3, (err: Error | null, responses: unknown[]) => resolve([err, responses]))),
      2000,
      "socket.broadcast acks",
    );
    expect(fromA[0]).toBeNull();
    expect([...fromA[1]].sort()).toEqual(["B:3", "C:3", "D:3"]);

    // Answered at once: the wait ends long before the 10 s timeout could.
    const none = await withTimeout(
      new Promise<[Error | null, unknown[]]>((resolve) => h.io.to("empty").timeout(10_000).emit("q", 4, (err: Error | null, responses: unknown[]) => resolve([err, responses]))),
      3000,
      "no receivers",
    );
    expect(none).toEqual([null, []]);
    await t.finish();
  });

  test("io.timeout(200).emit: err when one receiver does not answer, with the answers that came", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    for (const name of ["A", "B", "C"] as const) m[name].client.on("q", (ack: Ack) => ack(name));
    m.D.client.on("q", () => {
      /* D never answers */
    });
    const started = Date.now();
    const [err, responses] = await withTimeout(
      new Promise<[Error | null, unknown[]]>((resolve) => h.io.timeout(200).emit("q", (e: Error | null, r: unknown[]) => resolve([e, r]))),
      2000,
      "broadcast timeout",
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toBe("operation has timed out");
    expect([...responses].sort()).toEqual(["A", "B", "C"]);
    await t.finish();
  });

  test("emitWithAck on a broadcast resolves with every response, and rejects on timeout", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    for (const name of Object.keys(m) as Name[]) m[name].client.on("who", (ack: Ack) => ack(name));
    m.D.client.on("slow", () => {
      /* never answers */
    });
    for (const name of ["A", "B", "C"] as const) m[name].client.on("slow", (ack: Ack) => ack(name));
    const r1 = await withTimeout(h.io.to("r1").timeout(1000).emitWithAck("who"), 2000, "emitWithAck r1");
    expect([...r1].sort()).toEqual(["A", "B"]);
    const everyone = await withTimeout(h.io.emitWithAck("who"), 2000, "emitWithAck without timeout");
    expect([...everyone].sort()).toEqual(["A", "B", "C", "D"]);
    const failure = await withTimeout(
      h.io.timeout(150).emitWithAck("slow").then(
        () => "resolved",
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      ),
      2000,
      "emitWithAck timeout",
    );
    expect(failure).toBe("operation has timed out");
    await t.finish();
  });
});

describe("fetchSockets and bulk operations", () => {
  test("fetchSockets(): ids, rooms, data and handshake; in(room) narrows; except excludes", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const all = await h.io.fetchSockets();
    expect(new Set(all.map((s) => s.id))).toEqual(new Set((Object.keys(m) as Name[]).map((name) => m[name].socket.id)));
    for (const remote of all) {
      const name = (remote.data as { name: Name }).name;
      expect(remote.id).toBe(m[name].socket.id);
      expect(remote.rooms).toEqual(new Set([remote.id, ...LAYOUT[name].rooms]));
      expect(remote.handshake.auth).toEqual({ name, rooms: LAYOUT[name].rooms });
      expect(remote.handshake.address).toBe("127.0.0.1");
    }
    const r1 = await h.io.in("r1").fetchSockets();
    expect(new Set(r1.map((s) => s.id))).toEqual(new Set([m.A.socket.id, m.B.socket.id]));
    const notR2 = await h.io.except("r2").fetchSockets();
    expect(new Set(notR2.map((s) => s.id))).toEqual(new Set([m.A.socket.id, m.D.socket.id]));
    expect(await h.io.to("nobody").fetchSockets()).toEqual([]);
    expect(await h.io.allSockets()).toEqual(new Set(all.map((s) => s.id)));
    await t.finish();
  });

  test("RemoteSocket emit, join, leave and disconnect act on the real socket", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    const [remoteD] = await h.io.in(m.D.socket.id).fetchSockets();
    if (!remoteD) throw new Error("D not fetched");
    const hello = waitFor<unknown[]>(m.D.client, "remote-hello");
    remoteD.emit("remote-hello", { via: "fetchSockets" });
    expect(await hello).toEqual([{ via: "fetchSockets" }]);

    remoteD.join("joined-remotely");
    expect(m.D.socket.rooms.has("joined-remotely")).toBe(true);
    await t.deliveries("to-joined", ["D"], () => h.io.to("joined-remotely").emit("to-joined"));
    remoteD.leave("joined-remotely");
    expect(m.D.socket.rooms.has("joined-remotely")).toBe(false);

    const clientReason = waitFor<[string]>(m.D.client, "disconnect");
    const serverReason = waitFor<[string]>(m.D.socket, "disconnect");
    const reconnects = record(m.D.client, "connect");
    remoteD.disconnect();
    expect((await clientReason)[0]).toBe("io server disconnect");
    expect((await serverReason)[0]).toBe("server namespace disconnect");
    await reconnectionControl(h, "/control", LAYOUT.D.options); // sentinel: D would reconnect before it
    expect(reconnects).toEqual([]);
    await t.finish();
  });

  test("socketsJoin / socketsLeave, then broadcasts follow the new membership", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    h.io.in("r2").socketsJoin("r3");
    expect(m.B.socket.rooms.has("r3")).toBe(true);
    expect(m.C.socket.rooms.has("r3")).toBe(true);
    expect(m.A.socket.rooms.has("r3")).toBe(false);
    await t.deliveries("to-r3", ["B", "C"], () => h.io.to("r3").emit("to-r3"));

    h.io.except("r1").socketsJoin(["x", "y"]);
    await t.deliveries("to-x", ["C", "D"], () => h.io.to("x").emit("to-x"));
    await t.deliveries("to-y", ["C", "D"], () => h.io.to("y").emit("to-y"));

    h.io.socketsLeave("r1");
    expect(h.io.of("/").adapter.rooms.has("r1")).toBe(false);
    await t.deliveries("to-r1-after-leave", [], () => h.io.to("r1").emit("to-r1-after-leave"));
    h.io.in("x").socketsLeave(["y", "r3"]);
    await t.deliveries("to-y-after", [], () => h.io.to("y").emit("to-y-after"));
    await t.deliveries("to-r3-after", ["B"], () => h.io.to("r3").emit("to-r3-after"));
    await t.finish();
  });

  test("disconnectSockets(): the targeted sockets leave the namespace, other namespaces on the same connection stay", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.of("/other");
    h.io.on("connection", (socket) => socket.join("room"));
    const main = await h.connect("/", { transports: ["websocket"] });
    const other = await h.multiplex(main, "/other");
    expect(other.io).toBe(main.io);
    const bystander = await h.connect("/", { transports: ["polling"] });
    h.io.to(bystander.id ?? "").socketsLeave("room");
    const serverMain = h.io.of("/").sockets.get(main.id ?? "");
    const serverOther = h.io.of("/other").sockets.get(other.id ?? "");
    if (!serverMain || !serverOther) throw new Error("server sockets missing");
    const clientReason = waitFor<[string]>(main, "disconnect");
    const serverReason = waitFor<[string]>(serverMain, "disconnect");
    const reconnects = record(main, "connect");
    h.io.in("room").disconnectSockets();
    expect((await clientReason)[0]).toBe("io server disconnect");
    expect((await serverReason)[0]).toBe("server namespace disconnect");
    // The same engine connection still serves /other.
    expect(serverOther.connected).toBe(true);
    expect(serverOther.conn.closed).toBe(false);
    const stillThere = waitFor(other, "still");
    serverOther.emit("still");
    await stillThere;
    expect(bystander.connected).toBe(true);
    await reconnectionControl(h, "/control", { transports: ["websocket"] }); // sentinel: main would reconnect before it
    expect(reconnects).toEqual([]);
  });

  test("disconnectSockets(true) closes the whole connection: every namespace on it is disconnected", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.of("/other");
    const main = await h.connect("/", { transports: ["websocket"] });
    const other = await h.multiplex(main, "/other");
    const serverOther = h.io.of("/other").sockets.get(other.id ?? "");
    if (!serverOther) throw new Error("server socket missing");
    const mainReason = waitFor<[string]>(main, "disconnect");
    const otherReason = waitFor<[string]>(other, "disconnect");
    const serverOtherReason = waitFor<[string]>(serverOther, "disconnect");
    const closed = waitFor(main.io, "close");
    const reconnects = record(main, "connect");
    h.io.disconnectSockets(true);
    expect((await mainReason)[0]).toBe("io server disconnect");
    expect((await otherReason)[0]).toBe("io server disconnect");
    expect((await serverOtherReason)[0]).toBe("server namespace disconnect");
    await closed;
    expect(serverOther.conn.closed).toBe(true);
    expect(h.io.engine.clientsCount).toBe(0);
    await reconnectionControl(h, "/control", { transports: ["websocket"] }); // sentinel: main would reconnect before it
    expect(reconnects).toEqual([]);
  });

  test("serverSideEmit is a no-op on one node: returns, reaches no client", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await connectMembers(h);
    const t = tracker(m);
    expect(() => h.io.serverSideEmit("cluster-hello", 1)).not.toThrow();
    expect(() => h.io.of("/").serverSideEmit("cluster-hello", 2)).not.toThrow();
    expect(await h.io.serverSideEmitWithAck("cluster-hello")).toEqual([]);
    await t.deliveries("cluster-hello", [], () => undefined);
    await t.finish();
  });
});
