// Both wire formats on one server: default and msgpack clients (websocket and polling) in the same
// rooms get every broadcast once, each in its own format, through topics and the JS path alike;
// broadcasts expecting acks collect answers from both; `parser` forcing one format refuses the other.
import { describe, expect, test } from "bun:test";
import * as msgpackParser from "socket.io-msgpack-parser";
import { Server, type Socket as ServerSocket } from "../../src/socketio/index.ts";
import { FAST_HEARTBEAT, record, startSio, until, waitFor, type ClientOptions, type ClientSocket, type SioHarness } from "../support/sio-client.ts";

const MSGPACK: ClientOptions = { parser: msgpackParser };

type Member = { label: string; client: ClientSocket; socket: ServerSocket };

async function member(h: SioHarness, label: string, options: ClientOptions): Promise<Member> {
  const connection = waitFor<[ServerSocket]>(h.io, "connection");
  const client = await h.connect("/", options);
  const [socket] = await connection;
  return { label, client, socket };
}

/** Four clients: default and msgpack, each over websocket and polling (labels prefixed). */
async function crowd(h: SioHarness, prefix = ""): Promise<Member[]> {
  return [
    await member(h, `${prefix}default-ws`, { transports: ["websocket"] }),
    await member(h, `${prefix}msgpack-ws`, { ...MSGPACK, transports: ["websocket"] }),
    await member(h, `${prefix}default-polling`, { transports: ["polling"] }),
    await member(h, `${prefix}msgpack-polling`, { ...MSGPACK, transports: ["polling"] }),
  ];
}

/**
 * Runs `act`, waits until each of `expected` got `event` once, then sends a sentinel down every
 * client's own connection: the broadcast left before it, so anyone who did not get it by then never
 * will (and nobody got it twice).
 */
async function receivers(h: SioHarness, members: Member[], event: string, act: () => void): Promise<Map<string, unknown[]>> {
  const seen = new Map<string, unknown[][]>();
  for (const m of members) seen.set(m.label, record(m.client, event));
  act();
  const sentinels = members.map((m) => waitFor(m.client, `${event}:sentinel`));
  for (const m of members) m.socket.emit(`${event}:sentinel`);
  await Promise.all(sentinels);
  const out = new Map<string, unknown[]>();
  for (const [label, calls] of seen) {
    expect(calls.length).toBeLessThanOrEqual(1);
    if (calls[0]) out.set(label, calls[0]);
  }
  return out;
}

describe("default and msgpack clients together", () => {
  test("a room broadcast reaches both formats over both transports, and only the room", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const members = await crowd(h);
    const outsiders = await crowd(h, "outside-");
    for (const m of members) m.socket.join("study");
    expect(members.map((m) => m.socket.client.parser)).toEqual(["default", "msgpack", "default", "msgpack"]);

    const payload = { text: "hi all", n: [1, 2], bytes: Buffer.from([7, 7]) };
    const got = await receivers(h, [...members, ...outsiders], "news", () => h.io.to("study").emit("news", payload));
    expect([...got.keys()].sort()).toEqual(members.map((m) => m.label).sort());
    for (const [, args] of got) {
      const [value] = args as [{ text: string; n: number[]; bytes: Uint8Array }];
      expect(value.text).toBe("hi all");
      expect(value.n).toEqual([1, 2]);
      expect([...new Uint8Array(value.bytes)]).toEqual([7, 7]);
    }
  });

  test("socket.to(room) skips the sender whatever its format; io.emit reaches everyone once", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const members = await crowd(h);
    for (const m of members) m.socket.join("study");
    for (const sender of members) {
      const event = `from-${sender.label}`;
      const got = await receivers(h, members, event, () => sender.socket.to("study").emit(event, sender.label));
      expect([...got.keys()].sort()).toEqual(members.filter((m) => m !== sender).map((m) => m.label).sort());
    }
    const all = await receivers(h, members, "everyone", () => h.io.emit("everyone", 1));
    expect(all.size).toBe(4);
    // Two rooms at once and an exclusion: the JS path, not a topic.
    members[0]?.socket.join("a");
    members[1]?.socket.join("b");
    members[3]?.socket.join("b");
    const js = await receivers(h, members, "two-rooms", () => h.io.to(["a", "b"]).except(members[3]?.socket.id ?? "").emit("two-rooms"));
    expect([...js.keys()].sort()).toEqual(["default-ws", "msgpack-ws"]);
  });

  test("a broadcast expecting acks collects an answer from every client of both formats", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const members = await crowd(h);
    for (const m of members) m.client.on("poll", (question: string, ack: (a: string) => void) => ack(`${m.label}:${question}`));
    const answers = await h.io.timeout(2000).emitWithAck("poll", "q");
    expect([...answers].sort()).toEqual(members.map((m) => `${m.label}:q`).sort());
  });

  test("a msgpack client that upgrades from polling to websocket keeps getting room broadcasts", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const plain = await member(h, "default", { transports: ["websocket"] });
    const upgrading = h.client("/", { ...MSGPACK, transports: ["polling", "websocket"] });
    const upgraded = waitFor(upgrading.io.engine, "upgrade", 3000);
    const [socket] = await waitFor<[ServerSocket]>(h.io, "connection");
    socket.join("r");
    plain.socket.join("r");
    await upgraded;
    // The client reports the upgrade once it sent its upgrade packet; the server switches on reading it.
    await until(() => (socket.conn.transport === "websocket" ? true : undefined), 2000, "the server side of the upgrade");
    const both = [plain, { label: "upgraded", client: upgrading, socket }];
    const got = await receivers(h, both, "after", () => h.io.to("r").emit("after", "ok"));
    expect(got.size).toBe(2);
  });

  test("leaving a room stops its broadcasts for a msgpack client", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const m = await member(h, "msgpack", { ...MSGPACK, transports: ["websocket"] });
    m.socket.join("r");
    m.socket.leave("r");
    const left = record(m.client, "left");
    h.io.to("r").emit("left");
    // Sentinel: a later broadcast reaches the client; "left", had it been sent, would have come first.
    const seen = await receivers(h, [m], "still-here", () => h.io.emit("still-here"));
    expect(seen.size).toBe(1);
    expect(left).toEqual([]);
  });
});

describe("the parser option forces one format", () => {
  test('parser "msgpack": msgpack clients connect, a default client is refused', async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, parser: "msgpack" });
    const ok = await h.connect("/", { ...MSGPACK, transports: ["websocket"] });
    expect(ok.connected).toBe(true);
    const refused = h.client("/", { transports: ["websocket"], reconnection: false });
    const closed = waitFor<[string]>(refused.io, "close", 2000);
    await closed;
    expect(refused.connected).toBe(false);
    expect(h.io.of("/").sockets.size).toBe(1);
  });

  test('parser "default": default clients connect, a msgpack client is refused', async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, parser: "default" });
    const ok = await h.connect("/", { transports: ["websocket"] });
    expect(ok.connected).toBe(true);
    const refused = h.client("/", { ...MSGPACK, transports: ["websocket"], reconnection: false });
    await waitFor(refused.io, "close", 2000);
    expect(refused.connected).toBe(false);
    expect(h.io.of("/").sockets.size).toBe(1);
  });

  test("an unknown parser is a configuration error; the default is both", () => {
    expect(new Server({ transports: ["websocket"] }).options.parser).toBe("auto");
    expect(() => new Server({ parser: "json" as "auto" })).toThrow('parser must be one of "auto", "default", "msgpack"');
  });
});
