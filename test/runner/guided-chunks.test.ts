// The pool's chunks: every file in exactly one, longest files first, chunks shrinking to the floor, the
// tail fine enough that a pool finishes together when files run longer than measured.
import { describe, expect, test } from "bun:test";
import { durationsOf, guidedChunks, type Chunk } from "./guided-chunks.ts";

/** When each of `workers` workers, taking the next chunk whenever free, ends; `actual` gives file times. */
function finishTimes(chunks: Chunk[], workers: number, actual: (file: string) => number): number[] {
  const free = Array.from({ length: workers }, () => 0);
  for (const chunk of chunks) {
    const worker = free.indexOf(Math.min(...free));
    free[worker] = (free[worker] ?? 0) + chunk.files.reduce((sum, file) => sum + actual(file), 0);
  }
  return free;
}

// A suite shaped like this one: a few long files, a middle, and many short ones (200 s in all).
const suite: Record<string, number> = { "long1.ts": 19_000, "long2.ts": 11_000, "long3.ts": 10_000 };
for (let i = 0; i < 20; i++) suite[`mid${String(i).padStart(2, "0")}.ts`] = 5000;
for (let i = 0; i < 60; i++) suite[`short${String(i).padStart(2, "0")}.ts`] = 1000;
const guide = { workers: 4, share: 3 / 4, floorMs: 5000 };

describe("guidedChunks", () => {
  test("puts every file in exactly one chunk, longest files first", () => {
    const chunks = guidedChunks(Object.keys(suite), suite, guide);
    const files = chunks.flatMap((chunk) => chunk.files);
    expect([...files].sort()).toEqual(Object.keys(suite).sort());
    expect(chunks[0]?.files[0]).toBe("long1.ts");
    expect(chunks.reduce((sum, chunk) => sum + chunk.ms, 0)).toBe(200_000);
  });

  test("batches of one chunk per worker shrink from 3/4 of what is left down to the floor; few processes in all", () => {
    const chunks = guidedChunks(Object.keys(suite), suite, guide);
    // First batch: 200 s · 3/4 / 4 = 37.5 s a chunk; the second 3/4 of the 50 s left, 9.4 s a chunk.
    for (const chunk of chunks.slice(0, 4)) expect(chunk.ms).toBeGreaterThan(35_000);
    for (const chunk of chunks.slice(0, 4)) expect(chunk.ms).toBeLessThanOrEqual(37_500);
    for (const chunk of chunks.slice(4, 8)) expect(chunk.ms).toBeLessThanOrEqual(9375);
    // Then the floor, the rest of the queue folded into the last chunk when under half a floor.
    for (const chunk of chunks.slice(8)) expect(chunk.ms).toBeLessThanOrEqual(7500);
    expect(chunks.length).toBeLessThanOrEqual(12);
  });

  test("the pool finishes together when the long files run 40 % over, where a fixed split would not", () => {
    const chunks = guidedChunks(Object.keys(suite), suite, guide);
    const slow = (file: string) => (suite[file] ?? 0) * (file.startsWith("long") ? 1.4 : 1);
    const ends = finishTimes(chunks, 4, slow);
    // 216 s of work on 4 workers: the last ends within a floor (5 s) of the first.
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThanOrEqual(5000);
    expect(Math.max(...ends)).toBeLessThan(216_000 / 4 + 5000);
    // One chunk per worker (a floor of a worker's part): the worker with long1 ends 7.6 s late, the others early.
    const fixed = guidedChunks(Object.keys(suite), suite, { workers: 4, share: 1, floorMs: 50_000 });
    expect(fixed).toHaveLength(4);
    const fixedEnds = finishTimes(fixed, 4, slow);
    expect(Math.max(...fixedEnds) - Math.min(...fixedEnds)).toBeGreaterThan(6000);
  });

  test("files with no timing count as the median of the measured ones", () => {
    const chunks = guidedChunks(["new.ts", "x.ts", "y.ts", "z.ts"], { "x.ts": 10_000, "y.ts": 20_000, "z.ts": 30_000 }, { workers: 1, share: 0.4, floorMs: 1 });
    expect(chunks.map((chunk) => chunk.files)).toEqual([["z.ts"], ["new.ts"], ["y.ts"], ["x.ts"]]);
    expect(chunks[1]?.ms).toBe(20_000);
  });

  test("the same chunks for the same input, whatever the order of the files", () => {
    const files = Object.keys(suite);
    expect(guidedChunks([...files].reverse(), suite, guide)).toEqual(guidedChunks(files, suite, guide));
  });

  test("less than half the floor left after a chunk goes into it, not into a tiny last chunk", () => {
    const chunks = guidedChunks(["a.ts", "b.ts", "c.ts"], { "a.ts": 6000, "b.ts": 1000, "c.ts": 1000 }, { workers: 2, share: 1 / 2, floorMs: 6000 });
    expect(chunks.map((chunk) => chunk.files)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });
});

describe("durationsOf", () => {
  test("reads the files map and drops what is not a duration", () => {
    expect(durationsOf({ version: 1, files: { "a.ts": 12, "b.ts": "x", "c.ts": -1, "d.ts": Number.NaN } })).toEqual({ "a.ts": 12 });
    expect(durationsOf(null)).toEqual({});
    expect(durationsOf({ files: 3 })).toEqual({});
  });
});
