// The bookkeeping of a session handed over between nodes, without a bus: what a found session gets
// appended (this node's own broadcasts from the request on, the others' from its echo on, then all
// until its socket is attached), and how a search ends when nobody has the session.
import { describe, expect, test } from "bun:test";
import { HandoffType, restoredSessionOf, SessionSearches } from "../../src/adapter/session-handoff.ts";
import type { BroadcastOptions } from "../../src/adapter/types.ts";

const all: BroadcastOptions = { rooms: new Set(), except: new Set() };
const toRoom = (room: string): BroadcastOptions => ({ rooms: new Set([room]), except: new Set() });
const session = (missed: unknown[][]) => ({ sid: "sid1", pid: "pid1", rooms: ["sid1", "room"], data: { n: 1 }, missedPackets: missed });

describe("SessionSearches", () => {
  test("a found session gets, after the answer's packets, our own broadcasts since the request and the others' since its echo, for its rooms only", async () => {
    const searches = new SessionSearches(1000, 1000);
    const found = searches.start("req1", 2);
    searches.recorded(["remote-before-echo", "o1"], all, true);
    searches.recorded(["own-before-echo", "o2"], all, false);
    searches.echoed("req1");
    searches.recorded(["remote-after-echo", "o3"], toRoom("room"), true);
    searches.recorded(["elsewhere", "o4"], toRoom("other"), true);
    searches.recorded(["excluded", "o5"], { rooms: new Set(), except: new Set(["room"]) }, false);
    searches.answer("req1", session([["from-answer", "x9"]]));
    // Handled after the answer, before the search settles (one read of the bus may carry both).
    searches.recorded(["same-read", "o6"], all, true);
    const restored = (await found).session;
    expect(restored?.missedPackets).toEqual([
      ["from-answer", "x9"],
      ["own-before-echo", "o2"],
      ["remote-after-echo", "o3"],
      ["same-read", "o6"],
    ]);
    // Until its socket is attached, what reaches it is added; after that, nothing.
    searches.recorded(["before-attach", "o7"], toRoom("sid1"), true);
    searches.attached("sid1");
    searches.recorded(["live", "o8"], all, false);
    expect(restored?.missedPackets.at(-1)).toEqual(["before-attach", "o7"]);
    expect(restored?.missedPackets.length).toBe(5);
    searches.close();
  });

  test("settles with no session once every node asked said it has none, or at the timeout", async () => {
    const searches = new SessionSearches(1000, 1000);
    const none = searches.start("req2", 2);
    searches.answer("req2", null);
    searches.answer("req2", null);
    expect((await none).session).toBeUndefined();
    const silent = new SessionSearches(50, 1000).start("req3", 1);
    expect((await silent).session).toBeUndefined();
    searches.close();
  });

  test("answers that are not sessions count as 'none'; unknown request ids are ignored", async () => {
    const searches = new SessionSearches(1000, 1000);
    const found = searches.start("req4", 2);
    searches.answer("unknown", session([]));
    searches.answer(42, session([]));
    searches.answer("req4", { sid: "s", pid: "p", rooms: [1], data: null, missedPackets: [] });
    searches.answer("req4", { sid: "s", pid: "p", rooms: [], data: null, missedPackets: [[1]] });
    expect((await found).session).toBeUndefined();
    searches.close();
  });

  test("asked by uid: a node that goes away is no longer waited for; who answered is told", async () => {
    const searches = new SessionSearches(10_000, 1000);
    const pending = searches.start("req6", new Set(["nodeA", "nodeC"]));
    searches.answer("req6", null, "nodeC");
    searches.nodeGone("nodeA");
    const outcome = await pending;
    expect(outcome.session).toBeUndefined();
    expect([...outcome.answered]).toEqual(["nodeC"]);
    searches.close();
  });

  test("a session taken over from a dead node's snapshot gets what is logged until its socket is attached, but no packet of our origins the client had", () => {
    const searches = new SessionSearches(1000, 1000);
    const taken = session([["missed", "o1"]]);
    searches.hold(taken, new Map([["nodeC", 4]]));
    searches.recorded(["had-late", "o2"], all, true, { uid: "nodeC", seq: 4 });
    searches.recorded(["new-from-c", "o3"], all, true, { uid: "nodeC", seq: 5 });
    searches.recorded(["new-from-d", "o4"], all, true, { uid: "nodeD", seq: 0 });
    searches.recorded(["elsewhere", "o5"], toRoom("other"), false, { uid: "nodeB", seq: 9 });
    searches.attached("sid1");
    searches.recorded(["live", "o6"], all, false, { uid: "nodeB", seq: 10 });
    expect(taken.missedPackets.map((packet) => packet[0])).toEqual(["missed", "new-from-c", "new-from-d"]);
    // A claim lost: let go, it gets nothing more.
    const lost = session([]);
    searches.hold(lost)();
    searches.recorded(["after", "o7"], all, true);
    expect(lost.missedPackets).toEqual([]);
    searches.close();
  });

  test("close ends searches in flight without a session", async () => {
    const searches = new SessionSearches(10_000, 1000);
    const pending = searches.start("req5", 1);
    searches.close();
    expect((await pending).session).toBeUndefined();
  });
});

describe("restoredSessionOf", () => {
  test("takes a well-formed session and refuses anything else", () => {
    expect(restoredSessionOf(session([["e", "o"]]))).toEqual(session([["e", "o"]]));
    expect(restoredSessionOf(null)).toBeUndefined();
    expect(restoredSessionOf({ ...session([]), sid: 1 })).toBeUndefined();
    expect(restoredSessionOf({ ...session([]), missedPackets: "x" })).toBeUndefined();
  });

  test("our message types stay clear of the official ones (Redis 0–9, Postgres 1–13)", () => {
    expect(HandoffType.RESTORE_SESSION).toBeGreaterThan(13);
    expect(HandoffType.RESTORE_SESSION_RESPONSE).toBeGreaterThan(13);
  });
});
