// `bun run test`: the suite as several `bun test` processes (two per CPU this process may use) at once,
// given files of about equal total duration by test/timings.json (shard-balance.ts). Most of the suite
// waits (browsers, child servers, timeouts), so shards overlap their waits; each is a sequential
// `bun test` with its own database.
//   bun test/runner/run-suite.ts [--shards N] [--update-timings] [bun test options…] [files…]   (files: one plain `bun test`)
// --update-timings rewrites test/timings.json from this run: each shard records its own files' durations,
// measured while the shards run together, which is what the balance has to predict.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { mergeJunitReports } from "./junit-merge.ts";
import { balanceShards, durationsOf } from "./shard-balance.ts";

const ROOT = join(import.meta.dir, "..", "..");
const TIMINGS = "test/timings.json";
// Two per CPU the affinity mask allows (four on a 2-core machine): the suite's CPU time is about half
// its sequential wall time, the rest being waits, so two shards per core keep the cores busy. One
// (the plain sequential run) under `taskset -c 0`, where shards would only compete for the one core.
const CPUS = availableParallelism();
const DEFAULT_SHARDS = CPUS === 1 ? 1 : CPUS * 2;
const CASE_TIMEOUT = "--timeout=30000";
// Bun's allocator (mimalloc) hands freed memory back to the kernel after a short delay and faults it
// in again at the next allocation; in test processes, which live a minute, that was a third of the
// page faults and about a tenth of the suite's CPU (test/gateway alone: 9.7 s against 8.5 s). The
// servers the tests spawn inherit it; a value already set wins.
const TEST_ENV = { ...process.env, MIMALLOC_PURGE_DELAY: process.env.MIMALLOC_PURGE_DELAY ?? "-1" };

type Options = { shards: number; outfile: string | undefined; updateTimings: boolean; passThrough: string[]; files: string[] };

function parse(args: string[]): Options {
  const options: Options = { shards: DEFAULT_SHARDS, outfile: undefined, updateTimings: false, passThrough: [], files: [] };
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
    if (arg === "--update-timings") options.updateTimings = true;
    else if (arg.startsWith("-")) options.passThrough.push(arg);
    else options.files.push(arg);
  }
  return options;
}

const options = parse(process.argv.slice(2));
const reporterArgs = (outfile: string | undefined) => (outfile === undefined ? [] : [`--reporter-outfile=${outfile}`]);

// Named files, or a single shard: one ordinary `bun test`, its output as it comes.
if (options.files.length > 0 || options.shards === 1) {
  const timings = options.updateTimings ? [`--timings=${TIMINGS}`, "--update-timings"] : [];
  const child = Bun.spawn(["bun", "test", CASE_TIMEOUT, ...timings, ...options.passThrough, ...reporterArgs(options.outfile), ...options.files], {
    cwd: ROOT,
    env: TEST_ENV,
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(await child.exited);
}

function readDurations(): Record<string, number> {
  try {
    return durationsOf(JSON.parse(readFileSync(join(ROOT, TIMINGS), "utf8")));
  } catch {
    return {};
  }
}

const suite = [...new Bun.Glob("test/**/*.test.ts").scanSync({ cwd: ROOT })].sort();
// The browser files share one Chromium per process (test/browser/support.ts): one shard launches it once.
const shards = balanceShards(suite, readDurations(), options.shards, (file) => (file.startsWith("test/browser/") ? "browser" : undefined));
const started = performance.now();
const shardTimings = (shard: number) => join(ROOT, `test/.timings.shard${shard}.json`);
const shardReport = (shard: number) => (options.outfile === undefined ? undefined : `${options.outfile}.shard${shard}`);
const runs = shards.map(({ files }, index) => {
  const shard = index + 1;
  rmSync(shardTimings(shard), { force: true });
  // Bun writes the durations it measured to the --timings file; this shard's start empty, so it gets only its files.
  const timings = options.updateTimings ? [`--timings=${shardTimings(shard)}`, "--update-timings"] : [];
  // "./" makes each argument an exact path for bun test, not a filter that could match other files.
  const child = Bun.spawn(
    ["bun", "test", CASE_TIMEOUT, ...timings, ...options.passThrough, ...reporterArgs(shardReport(shard)), ...files.map((file) => `./${file}`)],
    { cwd: ROOT, env: TEST_ENV, stdout: "pipe", stderr: "pipe" },
  );
  // Each shard's output is printed whole when it ends, so the shards' lines never interleave.
  return Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]).then(([out, err, code]) => {
    process.stdout.write(`\n==== shard ${shard}/${shards.length} (exit ${code}, ${((performance.now() - started) / 1000).toFixed(1)} s)\n${out}`);
    process.stderr.write(err);
    return { code, err };
  });
});
const results = await Promise.all(runs);

if (options.outfile !== undefined) {
  const reports: string[] = [];
  for (let shard = 1; shard <= shards.length; shard++) {
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

if (options.updateTimings) {
  const files: Record<string, number> = {};
  for (let shard = 1; shard <= shards.length; shard++) {
    try {
      const measured: unknown = JSON.parse(readFileSync(shardTimings(shard), "utf8"));
      rmSync(shardTimings(shard));
      if (typeof measured === "object" && measured !== null && "files" in measured && typeof measured.files === "object" && measured.files !== null) {
        for (const [file, ms] of Object.entries(measured.files)) if (typeof ms === "number") files[file] = Math.round(ms);
      }
    } catch {
      // A shard that wrote nothing: its files keep no timing and the next balance guesses them.
    }
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(ROOT, TIMINGS), `${JSON.stringify({ version: 1, files: sorted }, null, 2)}\n`);
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
process.stderr.write(`\nall ${shards.length} shards: ${total.pass} pass, ${total.skip} skip, ${total.fail} fail [${seconds} s]\n`);
process.exit(results.some(({ code }) => code !== 0) ? 1 : 0);
