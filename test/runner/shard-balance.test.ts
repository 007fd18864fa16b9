// The suite's shard split: every file in exactly one shard, long files spread, unknown files guessed.
import { describe, expect, test } from "bun:test";
import { balanceShards, durationsOf } from "./shard-balance.ts";

describe("balanceShards", () => {
  test("puts every file in exactly one shard and evens out the totals", () => {
    const durations = { "a.ts": 20, "b.ts": 18, "c.ts": 10, "d.ts": 9, "e.ts": 8, "f.ts": 5, "g.ts": 3, "h.ts": 1 };
    const shards = balanceShards(Object.keys(durations), durations, 3);
    expect(shards.flatMap((shard) => shard.files).sort()).toEqual(Object.keys(durations).sort());
    const totals = shards.map((shard) => shard.ms);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(74);
    // Longest first: 24 / 26 / 24; the best cut of the path-ordered list into runs is 20 / 28 / 26.
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(3);
  });

  test("files with no timing count as the median of the measured ones", () => {
    const shards = balanceShards(["new.ts", "x.ts", "y.ts", "z.ts"], { "x.ts": 10, "y.ts": 20, "z.ts": 30 }, 2);
    expect(shards.map((shard) => shard.ms).sort((a, b) => a - b)).toEqual([40, 40]);
  });

  test("no more shards than files, and the same split for the same input", () => {
    const durations = { "a.ts": 1, "b.ts": 1 };
    expect(balanceShards(["a.ts", "b.ts"], durations, 4)).toHaveLength(2);
    expect(balanceShards(["b.ts", "a.ts"], durations, 2)).toEqual(balanceShards(["a.ts", "b.ts"], durations, 2));
  });

  test("files of one group share a shard, balanced as one unit", () => {
    const durations = { "browser/a.ts": 10, "browser/b.ts": 10, "c.ts": 10, "d.ts": 10 };
    const groupOf = (file: string) => (file.startsWith("browser/") ? "browser" : undefined);
    const shards = balanceShards(Object.keys(durations), durations, 2, groupOf);
    expect(shards.map((shard) => shard.files)).toEqual([["browser/a.ts", "browser/b.ts"], ["c.ts", "d.ts"]]);
    // Without the grouping the two browser files would be split to even out the shards.
    const ungrouped = balanceShards(Object.keys(durations), durations, 2);
    expect(ungrouped.some((shard) => shard.files.includes("browser/a.ts") !== shard.files.includes("browser/b.ts"))).toBe(true);
  });
});

describe("durationsOf", () => {
  test("reads the files map and drops what is not a duration", () => {
    expect(durationsOf({ version: 1, files: { "a.ts": 12, "b.ts": "x", "c.ts": -1, "d.ts": Number.NaN } })).toEqual({ "a.ts": 12 });
    expect(durationsOf(null)).toEqual({});
    expect(durationsOf({ files: 3 })).toEqual({});
  });
});
