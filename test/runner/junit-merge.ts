// One JUnit report out of the shards' reports (test/run-suite.ts): their file suites side by side
// under one <testsuites> whose counts are the sums and whose time is the longest shard's (wall time).
const COUNTS = ["tests", "assertions", "failures", "skipped"] as const;

type Root = { attributes: Record<string, string>; body: string };

/** The root element's attributes and what it holds; undefined for text that is no bun JUnit report. */
function rootOf(report: string): Root | undefined {
  const open = /<testsuites\b([^>]*)>/.exec(report);
  const close = report.lastIndexOf("</testsuites>");
  if (!open || close < open.index) return undefined;
  const attributes: Record<string, string> = {};
  for (const [, name, value] of (open[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)) if (name !== undefined && value !== undefined) attributes[name] = value;
  return { attributes, body: report.slice(open.index + open[0].length, close) };
}

export function mergeJunitReports(reports: string[]): string {
  const roots = reports.map(rootOf).filter((root): root is Root => root !== undefined);
  const totals = Object.fromEntries(COUNTS.map((name) => [name, roots.reduce((sum, root) => sum + (Number(root.attributes[name]) || 0), 0)]));
  const time = roots.reduce((longest, root) => Math.max(longest, Number(root.attributes.time) || 0), 0);
  const attributes = COUNTS.map((name) => `${name}="${totals[name]}"`).join(" ");
  const body = roots.map((root) => root.body.replace(/^\n|\n$/g, "")).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bun test" ${attributes} time="${time}">\n${body}\n</testsuites>\n`;
}
