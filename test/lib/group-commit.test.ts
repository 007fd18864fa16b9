// Group commit (src/lib/group-commit.ts): a lone item goes on the next event-loop turn, items arriving
// during a flush go together in the next one, in order, within maxBatch; a failed flush rejects only
// its own items; with maxInFlight the next batch starts once the one before said `ordered`, and
// batches still settle in order.
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

  describe("with more than one flush in flight", () => {
    /** A flush whose steps the test drives: `ordered` and the end of each batch, by hand. */
    function drivenWriter(maxInFlight: number) {
      const flushes: { items: number[]; ordered: () => void; finish: (fail?: Error) => void }[] = [];
      const started = [deferred(), deferred(), deferred(), deferred()];
      const writer = createGroupCommit<number, string>(
        (items, ordered) =>
          new Promise<string[]>((resolve, reject) => {
            flushes.push({ items, ordered, finish: (fail) => (fail ? reject(fail) : resolve(items.map((n) => `stored ${n}`))) });
            started[flushes.length - 1]?.resolve();
          }),
        { maxBatch: 10, maxInFlight },
      );
      return { writer, flushes, started: (k: number) => started[k]?.promise };
    }
    /** Records the order in which promises settle. */
    function settleOrder(promises: Promise<unknown>[]): { order: number[]; all: Promise<unknown> } {
      const order: number[] = [];
      const all = Promise.allSettled(promises.map((p, k) => p.finally(() => order.push(k))));
      return { order, all };
    }

    test("the next batch starts once the one before said ordered, and they settle in batch order", async () => {
      const { writer, flushes, started } = drivenWriter(2);
      const first = writer.submit(1);
      await started(0);
      const second = writer.submit(2);
      const third = writer.submit(3);
      // The first batch has not said ordered: the next waits (a turn later still one flush).
      await nextTurn();
      await nextTurn();
      expect(flushes.length).toBe(1);
      flushes[0]?.ordered();
      await started(1);
      expect(flushes.map((f) => f.items)).toEqual([[1], [2, 3]]);
      const { order, all } = settleOrder([first, second, third]);
      // The second batch commits first; its senders still hear after the first batch's.
      flushes[1]?.finish();
      await nextTurn();
      expect(order).toEqual([]);
      flushes[0]?.finish();
      await all;
      expect(order).toEqual([0, 1, 2]);
      expect(await Promise.all([first, second, third])).toEqual(["stored 1", "stored 2", "stored 3"]);
    });

    test("never more flushes unsettled than maxInFlight", async () => {
      const { writer, flushes, started } = drivenWriter(2);
      const sends = [writer.submit(1)];
      await started(0);
      sends.push(writer.submit(2));
      flushes[0]?.ordered();
      await started(1);
      sends.push(writer.submit(3));
      flushes[1]?.ordered();
      // Two are unsettled: the third batch waits although the second said ordered.
      await nextTurn();
      await nextTurn();
      expect(flushes.length).toBe(2);
      expect(writer.pending).toBe(3);
      flushes[0]?.finish();
      await started(2);
      expect(flushes.map((f) => f.items)).toEqual([[1], [2], [3]]);
      flushes[1]?.finish();
      flushes[2]?.finish();
      expect(await Promise.all(sends)).toEqual(["stored 1", "stored 2", "stored 3"]);
    });

    test("a batch that fails after ordered rejects its items only, before the next settles", async () => {
      const { writer, flushes, started } = drivenWriter(2);
      const first = writer.submit(1);
      await started(0);
      const second = writer.submit(2);
      flushes[0]?.ordered();
      await started(1);
      const { order, all } = settleOrder([first, second]);
      flushes[1]?.finish();
      flushes[0]?.finish(new Error("commit failed"));
      await all;
      expect(order).toEqual([0, 1]);
      expect(await rejectionOf(first)).toHaveProperty("message", "commit failed");
      expect(await second).toBe("stored 2");
    });

    test("idle waits for every flush in flight", async () => {
      const { writer, flushes, started } = drivenWriter(2);
      void writer.submit(1);
      await started(0);
      void writer.submit(2);
      flushes[0]?.ordered();
      await started(1);
      let idle = false;
      const waiting = writer.idle().then(() => (idle = true));
      flushes[0]?.finish();
      await nextTurn();
      expect(idle).toBe(false);
      flushes[1]?.finish();
      await waiting;
      expect(writer.pending).toBe(0);
    });
  });
});
