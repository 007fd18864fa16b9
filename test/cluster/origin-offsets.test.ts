// What a surviving node sends a client of a crashed node from its own log (RecoveryStore.missedSince),
// without a bus: two logs that saw the same broadcasts in different orders (each node logs its own as it
// sends them, the others' as they arrive), the window, broadcasts no node of ours numbered, bad offsets.
import { afterEach, describe, expect, test } from "bun:test";
import { parseOriginOffset } from "../../src/adapter/origin-offsets.ts";
import { RecoveryStore } from "../../src/adapter/recovery-store.ts";
import type { BroadcastOptions } from "../../src/adapter/types.ts";
import { until } from "../support/sio-client.ts";

const all: BroadcastOptions = { rooms: new Set(), except: new Set() };
const toRoom = (room: string): BroadcastOptions => ({ rooms: new Set([room]), except: new Set() });
const rooms = new Set(["sid1", "room"]);
const stores: RecoveryStore[] = [];

function node(uid: string, window = 60_000): RecoveryStore {
  const store = new RecoveryStore(window);
  store.identify(uid);
  stores.push(store);
  return store;
}

/** The offset a client got with a packet (its last argument). */
const offsetOf = (tagged: unknown[]): string => String(tagged.at(-1));
const names = (packets: unknown[][] | undefined) => packets?.map((packet) => packet[0]);

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

describe("RecoveryStore.missedSince (a client of a crashed node, served from another node's log)", () => {
  test("the node's own broadcast and another's crossed on the bus: nothing the client had is sent again", () => {
    const [a, b] = [node("nodeA"), node("nodeB")];
    // A sends a0 (logged at once), then C's c0 arrives; on the bus c0 came first, as B logged them.
    a.record(["a0"], all, { uid: "nodeA", seq: 0 });
    const last = a.record(["c0"], all, { uid: "nodeC", seq: 0 });
    b.record(["c0"], all, { uid: "nodeC", seq: 0 });
    b.record(["a0"], all, { uid: "nodeA", seq: 0 });
    b.record(["b0"], toRoom("room"), { uid: "nodeB", seq: 0 });
    expect(names(b.missedSince(offsetOf(last), rooms))).toEqual(["b0"]);
  });

  test("and the other way round: what the client had not got yet is sent, though the other log has it before the client's last", () => {
    const [a, b] = [node("nodeA"), node("nodeB")];
    const last = a.record(["a0"], all, { uid: "nodeA", seq: 0 });
    // c0 was on the bus before a0 (B logged it first) but reached A only after: the client never got it.
    b.record(["c0"], all, { uid: "nodeC", seq: 0 });
    b.record(["a0"], all, { uid: "nodeA", seq: 0 });
    expect(names(b.missedSince(offsetOf(last), rooms))).toEqual(["c0"]);
  });

  test("only what reaches the client's rooms, in the order of this log", () => {
    const [a, b] = [node("nodeA"), node("nodeB")];
    const last = a.record(["a0"], all, { uid: "nodeA", seq: 0 });
    b.record(["a0"], all, { uid: "nodeA", seq: 0 });
    b.record(["c0"], toRoom("other"), { uid: "nodeC", seq: 0 });
    b.record(["c1"], toRoom("sid1"), { uid: "nodeC", seq: 1 });
    b.record(["b0"], { rooms: new Set(), except: new Set(["room"]) }, { uid: "nodeB", seq: 0 });
    b.record(["b1"], all, { uid: "nodeB", seq: 1 });
    b.record(["a1"], toRoom("room"), { uid: "nodeA", seq: 1 });
    expect(names(b.missedSince(offsetOf(last), rooms))).toEqual(["c1", "b1", "a1"]);
  });

  test("a broadcast no node of ours numbered (a stock node's) reaching the client after its position: no recovery, one before it or elsewhere: no matter", () => {
    const [a, b] = [node("nodeA"), node("nodeB")];
    b.record(["stock-before"], all);
    a.record(["stock-before"], all);
    const last = a.record(["a0"], all, { uid: "nodeA", seq: 0 });
    b.record(["a0"], all, { uid: "nodeA", seq: 0 });
    b.record(["stock-elsewhere"], toRoom("other"));
    b.record(["c0"], all, { uid: "nodeC", seq: 0 });
    expect(names(b.missedSince(offsetOf(last), rooms))).toEqual(["c0"]);
    b.record(["stock-after"], all);
    expect(b.missedSince(offsetOf(last), rooms)).toBeUndefined();
  });

  test("no packet of the client's position in this log (this node was not listening then, or it is older than the window): no recovery", async () => {
    const a = node("nodeA");
    const last = a.record(["a0"], all, { uid: "nodeA", seq: 0 });
    const late = node("nodeB");
    late.record(["c0"], all, { uid: "nodeC", seq: 0 });
    expect(late.missedSince(offsetOf(last), rooms)).toBeUndefined();
    const short = node("nodeD", 20);
    short.record(["a0"], all, { uid: "nodeA", seq: 0 });
    const loggedBy = Date.now();
    await until(() => (Date.now() > loggedBy + 20 ? true : undefined), 1000, "the window to pass");
    expect(short.missedSince(offsetOf(last), rooms)).toBeUndefined();
  });

  test("offsets that are not a cluster node's are refused, never thrown on", () => {
    const b = node("nodeB");
    b.record(["a0"], all, { uid: "nodeA", seq: 0 });
    for (const offset of ["", "abc-1", "abc-1~", "abc-1~node A", "abc-1~nodeA~nodeA", "abc-1~nodeA~nodeA.", "abc-1~nodeA~nodeA.-1", "abc-1~nodeA~.1", `x~nodeA${"~nodeA.1".repeat(600)}`, "abc-1~nodeA~nodeA.1e3"]) {
      expect(b.missedSince(offset, rooms)).toBeUndefined();
    }
    expect(parseOriginOffset("k-1~nodeA~nodeA.10~nodeC.0")).toEqual({ holder: "nodeA", seen: new Map([["nodeA", 10], ["nodeC", 0]]) });
  });
});
