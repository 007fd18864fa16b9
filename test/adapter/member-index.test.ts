// MemberIndex (src/adapter/member-index.ts): the rooms/sids index that keeps a lone member as a bare
// string; what it answers must be what a Map of Sets would answer through every change.
import { describe, expect, test } from "bun:test";
import { MemberIndex } from "../../src/adapter/member-index.ts";

/** The same operations on a plain Map of Sets, the reference the index is compared with. */
function reference() {
  const map = new Map<string, Set<string>>();
  return {
    map,
    add(key: string, member: string) {
      const set = map.get(key) ?? new Set<string>();
      const added = !set.has(member);
      set.add(member);
      map.set(key, set);
      return added;
    },
    remove(key: string, member: string) {
      const set = map.get(key);
      const removed = set?.delete(member) ?? false;
      if (set?.size === 0) map.delete(key);
      return removed;
    },
  };
}

function expectSame(index: MemberIndex, map: Map<string, Set<string>>) {
  expect(index.size).toBe(map.size);
  expect([...index.keys()]).toEqual([...map.keys()]);
  expect([...index.entries()]).toEqual([...map.entries()]);
  expect([...index]).toEqual([...map]);
  expect([...index.values()]).toEqual([...map.values()]);
  for (const [key, set] of map) {
    expect(index.has(key)).toBe(true);
    expect(index.get(key)).toEqual(set);
    expect(index.countOf(key)).toBe(set.size);
    expect([...index.membersOf(key)]).toEqual([...set]);
    expect(set.has(index.firstOf(key) ?? "")).toBe(true);
    for (const member of set) expect(index.hasMember(key, member)).toBe(true);
  }
}

describe("MemberIndex", () => {
  test("one member, two, back to one and none: answers like a Map of Sets at each step", () => {
    const index = new MemberIndex();
    const ref = reference();
    const steps: [op: "add" | "remove", key: string, member: string][] = [
      ["add", "room", "socket-a"],
      ["add", "room", "socket-a"],
      ["add", "room", "socket-b"],
      ["add", "other", "socket-b"],
      ["remove", "room", "socket-a"],
      ["remove", "room", "socket-a"],
      ["add", "room", "socket-c"],
      ["remove", "room", "socket-b"],
      ["remove", "nowhere", "socket-b"],
      ["remove", "room", "socket-c"],
      ["remove", "other", "socket-b"],
    ];
    for (const [op, key, member] of steps) {
      expect({ op, key, member, result: index[op](key, member) }).toEqual({ op, key, member, result: ref[op](key, member) });
      expectSame(index, ref.map);
    }
    expect(index.size).toBe(0);
    expect(index.get("room")).toBeUndefined();
    expect([...index.membersOf("room")]).toEqual([]);
    expect(index.countOf("room")).toBe(0);
  });

  test("a lone member is never iterated as its characters; removeKey drops every member", () => {
    const index = new MemberIndex();
    index.add("room", "abc");
    expect([...index.membersOf("room")]).toEqual(["abc"]);
    expect(index.hasMember("room", "a")).toBe(false);
    index.add("room", "def");
    index.removeKey("room");
    expect(index.has("room")).toBe(false);
    expect(index.hasMember("room", "abc")).toBe(false);
  });

  test("a random walk of adds and removes keeps it equal to the reference", () => {
    const index = new MemberIndex();
    const ref = reference();
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 2000; i++) {
      const key = `k${next(5)}`;
      const member = `m${next(4)}`;
      const op = next(2) === 0 ? "add" : "remove";
      expect(index[op](key, member)).toBe(ref[op](key, member));
    }
    expectSame(index, ref.map);
  });
});
