// Group commit (src/lib/group-commit.ts): a lone item goes on the next event-loop turn, items arriving
// during a flush go together in the next one, in order, within maxBatch; a failed flush rejects only
// its own items.
import { describe, expect, test } from "bun:test";
import { createGroupCommit } from "../../src/lib/group-commit.ts";
import { rejectionOf } from "../support/promises.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** One turn of the event loop: what group commit waits before a flush. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("group commit", () => {
  test("items wait for the flush in flight and then go together, in order", async () => {
    const batches: number[][] = [];
    const gates = [deferred(), deferred(), deferred()];
    const writer = createGroupCommit<number, string>(
      async (items) => {
        batches.push(items);
        await gates[batches.length - 1]?.promise;
        return items.map((n) => `stored ${n}`);
      },
      { maxBatch: 3 },
    );
    const first = writer.submit(1);
    await nextTurn();
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => writer.submit(n));
    expect(writer.pending).toBe(5);
    gates[0]?.resolve();
    expect(await first).toBe("stored 1");
    gates[1]?.resolve();
    gates[2]?.resolve();
    expect(await Promise.all(rest)).toEqual(["stored 2", "stored 3", "stored 4", "stored 5"]);
    // Never more than maxBatch at once.
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    await writer.idle();
    expect(writer.pending).toBe(0);
  });

  test("items submitted in one turn of the event loop share the first flush", async () => {
    const batches: string[][] = [];
    const writer = createGroupCommit<string, number>(async (items) => (batches.push(items), items.map((s) => s.length)), { maxBatch: 100 });
    expect(await Promise.all(["a", "bb", "ccc"].map((s) => writer.submit(s)))).toEqual([1, 2, 3]);
    expect(batches).toEqual([["a", "bb", "ccc"]]);
  });

  test("a failed flush rejects its items only; the next batch still runs", async () => {
    let calls = 0;
    const gate = deferred();
    const started = deferred();
    const writer = createGroupCommit<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) {
          started.resolve();
          await gate.promise;
          throw new Error("database gone");
        }
        return items;
      },
      { maxBatch: 10 },
    );
    const failed = writer.submit(1);
    await started.promise;
    const later = writer.submit(2);
    gate.resolve();
    expect(await rejectionOf(failed)).toHaveProperty("message", expect.stringContaining("database gone"));
    expect(await later).toBe(2);
  });

  test("a flush that never waits for I/O still gets what arrives in the same turn", async () => {
    // An in-process database answers without yielding to the event loop; items that arrive in
    // separate callbacks of one turn must still share a flush.
    const batches: number[][] = [];
    const writer = createGroupCommit<number, number>(async (items) => (batches.push(items), items), { maxBatch: 10 });
    const results = await new Promise<Promise<number>[]>((resolve) => {
      const out: Promise<number>[] = [];
      setTimeout(() => out.push(writer.submit(1)), 0);
      setTimeout(() => out.push(writer.submit(2)), 0);
      setTimeout(() => resolve(out), 0);
    });
    expect(await Promise.all(results)).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
  });

  test("a flush answering the wrong number of results rejects its items", async () => {
    const writer = createGroupCommit<number, number>(async () => [], { maxBatch: 10 });
    expect(await rejectionOf(writer.submit(1))).toHaveProperty("message", expect.stringContaining("0 results for 1 items"));
  });
});
