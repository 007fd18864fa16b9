// `bun run test`: the suite as one `bun test --shard` process per CPU this process may use, at once,
// balanced by the file durations in test/timings.json. Most of the suite waits (browsers, child
// servers, timeouts), so shards overlap their waits; each is a sequential `bun test` with its own database.
//   bun test/runner/run-suite.ts [--shards N] [bun test options…] [files…]   (files: one plain `bun test`)
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { mergeJunitReports } from "./junit-merge.ts";

const ROOT = join(import.meta.dir, "..", "..");
const TIMINGS = "test/timings.json";
// One per CPU the affinity mask allows: two on a 2-core machine, one (the plain sequential run) under
// `taskset -c 0`, where more shards would only compete for the core the tests' timings assume.
const DEFAULT_SHARDS = availableParallelism();
const CASE_TIMEOUT = "--timeout=30000";

type Options = { shards: number; outfile: string | undefined; passThrough: string[]; files: string[] };

function parse(args: string[]): Options {
  const options: Options = { shards: DEFAULT_SHARDS, outfile: undefined, passThrough: [], files: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const value = (name: string): string | undefined => {
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      if (arg === name) return args[++i];
      return undefined;
    };
    const shards = value("--shards");
    if (shards !== undefined) {
      options.shards = Math.max(1, Number.parseInt(shards, 10) || DEFAULT_SHARDS);
      continue;
    }
    const outfile = value("--reporter-outfile");
    if (outfile !== undefined) {
      options.outfile = outfile;
      continue;
    }
    if (arg.startsWith("-")) options.passThrough.push(arg);
    else options.files.push(arg);
  }
  return options;
}

const options = parse(process.argv.slice(2));
const reporterArgs = (outfile: string | undefined) => (outfile === undefined ? [] : [`--reporter-outfile=${outfile}`]);

// Named files, or a single shard: one ordinary `bun test`, its output as it comes.
if (options.files.length > 0 || options.shards === 1) {
  const child = Bun.spawn(["bun", "test", CASE_TIMEOUT, ...options.passThrough, ...reporterArgs(options.outfile), ...options.files], {
    cwd: ROOT,
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
}

const started = performance.now();
const shardReport = (shard: number) => (options.outfile === undefined ? undefined : `${options.outfile}.shard${shard}`);
const runs = Array.from({ length: options.shards }, (_, index) => {
  const shard = index + 1;
  const child = Bun.spawn(
    ["bun", "test", CASE_TIMEOUT, `--shard=${shard}/${options.shards}`, `--timings=${TIMINGS}`, ...options.passThrough, ...reporterArgs(shardReport(shard))],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  // Each shard's output is printed whole when it ends, so the shards' lines never interleave.
  return Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]).then(([out, err, code]) => {
    process.stdout.write(`\n==== shard ${shard}/${options.shards} (exit ${code}, ${((performance.now() - started) / 1000).toFixed(1)} s)\n${out}`);
    process.stderr.write(err);
    return { code, err };
  });
});
const results = await Promise.all(runs);

if (options.outfile !== undefined) {
  const reports: string[] = [];
  for (let shard = 1; shard <= options.shards; shard++) {
    const path = shardReport(shard);
    if (path === undefined) continue;
    try {
      reports.push(readFileSync(path, "utf8"));
      rmSync(path);
    } catch {
      // A shard that died before writing its report: its exit code already fails the run.
    }
  }
  writeFileSync(options.outfile, mergeJunitReports(reports));
}

// bun test ends with "N pass / N fail"; the shards' totals in the same form.
const total = { pass: 0, skip: 0, fail: 0 };
for (const { err } of results) {
  for (const key of ["pass", "skip", "fail"] as const) {
    const match = err.match(new RegExp(`^\\s*(\\d+) ${key}$`, "m"));
    total[key] += Number(match?.[1] ?? 0);
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stderr.write(`\nall ${options.shards} shards: ${total.pass} pass, ${total.skip} skip, ${total.fail} fail [${seconds} s]\n`);
process.exit(results.some(({ code }) => code !== 0) ? 1 : 0);
