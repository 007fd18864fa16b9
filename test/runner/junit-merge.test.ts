// The sharded runner's report merge: every shard's file suites kept, counts summed, time the longest
// shard's; what is no report at all (a shard that died) is left out.
import { describe, expect, test } from "bun:test";
import { mergeJunitReports } from "./junit-merge.ts";

const report = (tests: number, failures: number, skipped: number, time: number, file: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="${tests}" assertions="${tests * 2}" failures="${failures}" skipped="${skipped}" time="${time}">
  <testsuite name="${file}" file="${file}" tests="${tests}" failures="${failures}" skipped="${skipped}" time="${time}">
    <testcase name="a" classname="x" time="0.1" />
  </testsuite>
</testsuites>
`;

describe("mergeJunitReports", () => {
  test("sums the counts, keeps the longest time and every file suite", () => {
    const merged = mergeJunitReports([report(3, 1, 0, 12.5, "test/a.test.ts"), report(5, 0, 2, 20.25, "test/b.test.ts")]);
    const root = /<testsuites [^>]*>/.exec(merged)?.[0] ?? "";
    expect(root).toContain('tests="8"');
    expect(root).toContain('assertions="16"');
    expect(root).toContain('failures="1"');
    expect(root).toContain('skipped="2"');
    expect(root).toContain('time="20.25"');
    expect(merged).toContain('file="test/a.test.ts"');
    expect(merged).toContain('file="test/b.test.ts"');
    expect(merged.trimEnd().endsWith("</testsuites>")).toBe(true);
  });

  test("text that is no report is left out; none at all gives an empty report", () => {
    const merged = mergeJunitReports(["", "error: crashed", report(1, 0, 0, 1, "test/c.test.ts")]);
    expect(merged).toContain('tests="1"');
    expect(mergeJunitReports([])).toContain('tests="0" assertions="0" failures="0" skipped="0" time="0"');
  });
});
