// The per-socket event pipeline (src/lib/ordered-pipeline.ts): starts in order, a plain or async
// start holds the next one, a handoff does not, and answers come in submit order exactly once.
import { describe, expect, test } from "bun:test";
import { handoff, OrderedPipeline, type Settlement } from "../../src/lib/ordered-pipeline.ts";

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Resolves once `count` answers have been collected. */
function answers(count: number) {
  const got: Settlement[] = [];
  const done = deferred<Settlement[]>();
  return {
    got,
    done: done.promise,
    answer: (settlement: Settlement) => {
      got.push(settlement);
      if (got.length === count) done.resolve(got);
    },
  };
}

describe("ordered pipeline", () => {
  test("an async start holds the next start until it settles", async () => {
    const pipeline = new OrderedPipeline();
    const log: string[] = [];
    const gate = deferred();
    const a = answers(2);
    pipeline.submit(async () => {
      log.push("first start");
      await gate.promise;
      log.push("first end");
      return 1;
    }, a.answer);
    pipeline.submit(() => {
      log.push("second start");
      return 2;
    }, a.answer);
    await Promise.resolve();
    expect(log).toEqual(["first start"]);
    expect(pipeline.pending).toBe(2);
    gate.resolve();
    expect(await a.done).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 2 },
    ]);
    expect(log).toEqual(["first start", "first end", "second start"]);
    expect(pipeline.pending).toBe(0);
  });

  test("a handoff lets the next start run at once, yet answers keep submit order", async () => {
    const pipeline = new OrderedPipeline();
    const log: string[] = [];
    const slow = deferred<string>();
    const a = answers(3);
    pipeline.submit(() => handoff(slow.promise, (v) => (log.push(`finish ${v}`), v)), a.answer);
    pipeline.submit(() => handoff(Promise.resolve("fast"), (v) => (log.push(`finish ${v}`), v)), a.answer);
    pipeline.submit(() => (log.push("third start"), "third"), a.answer);
    // The third start ran although the first work is still pending.
    expect(log).toEqual(["third start"]);
    // A whole event-loop turn: every settled promise has run; the fast answers still wait for the slow one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(a.got).toEqual([]);
    slow.resolve("slow");
    expect((await a.done).map((s) => (s.ok ? s.value : s.error))).toEqual(["slow", "fast", "third"]);
    expect(log).toEqual(["third start", "finish slow", "finish fast"]);
  });

  test("failures are answered in place: thrown, rejected, failed work and a throwing finish", async () => {
    const pipeline = new OrderedPipeline();
    const a = answers(5);
    const boom = (m: string) => new Error(m);
    pipeline.submit(() => {
      throw boom("sync");
    }, a.answer);
    pipeline.submit(() => Promise.reject(boom("async")), a.answer);
    pipeline.submit(() => handoff(Promise.reject(boom("work")), () => "never"), a.answer);
    pipeline.submit(
      () =>
        handoff(Promise.resolve(1), () => {
          throw boom("finish");
        }),
      a.answer,
    );
    pipeline.submit(() => "still fine", a.answer);
    const got = await a.done;
    expect(got.map((s) => (s.ok ? s.value : (s.error as Error).message))).toEqual(["sync", "async", "work", "finish", "still fine"]);
    expect(pipeline.pending).toBe(0);
  });

  test("an answer callback that throws does not stop later answers", async () => {
    const pipeline = new OrderedPipeline();
    const seen: unknown[] = [];
    const last = deferred();
    pipeline.submit(
      () => 1,
      () => {
        throw new Error("listener bug");
      },
    );
    pipeline.submit(
      () => 2,
      (s) => {
        seen.push(s.ok && s.value);
        last.resolve();
      },
    );
    await last.promise;
    expect(seen).toEqual([2]);
  });
});
