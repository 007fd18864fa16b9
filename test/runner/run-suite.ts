// `bun run test`: the suite as a pool of workers (two per CPU this process may use), each running one
// `bun test` process at a time on the next chunk of files from a shared queue: big chunks of the
// longest files first, small ones last (guided-chunks.ts, by test/timings.json), so the workers finish
// together however long each file takes this time. Most of the suite waits (browsers, child servers,
// timeouts), so the workers overlap their waits; each process is a sequential `bun test` with its own database.
//   bun test/runner/run-suite.ts [--shards N] [--update-timings] [bun test options…] [files…]   (files: one plain `bun test`)
// --shards N: N workers. --update-timings rewrites test/timings.json from this run: each chunk records
// its own files' durations, measured while the workers run together, which is what the queue has to predict.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { mergeJunitReports } from "./junit-merge.ts";
import { durationsOf, guidedChunks } from "./guided-chunks.ts";

const ROOT = join(import.meta.dir, "..", "..");
const TIMINGS = "test/timings.json";
// Two workers per CPU the affinity mask allows (four on a 2-core machine): the suite's CPU time is about
// half its sequential wall time, the rest being waits, so two per core keep the cores busy. One (the
// plain sequential run) under `taskset -c 0`, where workers would only compete for the one core.
const CPUS = availableParallelism();
const DEFAULT_SHARDS = CPUS === 1 ? 1 : CPUS * 2;
const CASE_TIMEOUT = "--timeout=30000";
// Each batch of chunks (one per worker) covers 3/4 of the estimated time left, a chunk at least 5 s:
// each process pays 1.5 s or more of CPU before its first test (the preload opens PGlite), which the
// suite's 2 cores feel, so few chunks (about 11: four big, then four of ~10 s, then ~5 s ones) keep
// that cost small while the last chunks are short enough for the workers to finish together.
const CHUNK_SHARE = 3 / 4;
const CHUNK_FLOOR_MS = 5000;

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

// Named files, or a single worker: one ordinary `bun test`, its output as it comes.
if (options.files.length > 0 || options.shards === 1) {
  const timings = options.updateTimings ? [`--timings=${TIMINGS}`, "--update-timings"] : [];
  const child = Bun.spawn(["bun", "test", CASE_TIMEOUT, ...timings, ...options.passThrough, ...reporterArgs(options.outfile), ...options.files], {
    cwd: ROOT,
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
const chunks = guidedChunks(suite, readDurations(), { workers: options.shards, share: CHUNK_SHARE, floorMs: CHUNK_FLOOR_MS });
const workers = Math.min(options.shards, chunks.length);
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
const chunkTimings = (chunk: number) => join(ROOT, `test/.timings.chunk${chunk}.json`);
const chunkReport = (chunk: number) => (options.outfile === undefined ? undefined : `${options.outfile}.chunk${chunk}`);

type Result = { code: number; err: string };

async function runChunk(index: number, worker: number): Promise<Result> {
  const chunk = index + 1;
  const files = chunks[index]?.files ?? [];
  rmSync(chunkTimings(chunk), { force: true });
  // Bun writes the durations it measured to the --timings file; this chunk's starts empty, so it gets only its files.
  const timings = options.updateTimings ? [`--timings=${chunkTimings(chunk)}`, "--update-timings"] : [];
  // "./" makes each argument an exact path for bun test, not a filter that could match other files.
  const child = Bun.spawn(
    ["bun", "test", CASE_TIMEOUT, ...timings, ...options.passThrough, ...reporterArgs(chunkReport(chunk)), ...files.map((file) => `./${file}`)],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  // Each chunk's output is printed whole when it ends, so the chunks' lines never interleave.
  process.stdout.write(`\n==== chunk ${chunk}/${chunks.length} on worker ${worker}/${workers} (exit ${code}, ${elapsed()} s)\n${out}`);
  process.stderr.write(err);
  return { code, err };
}

// The queue: each worker takes the next chunk when its last one ends, until none is left.
const results: Result[] = [];
const finished: string[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: workers }, async (_, index) => {
    while (next < chunks.length) results.push(await runChunk(next++, index + 1));
    finished.push(elapsed());
  }),
);

if (options.outfile !== undefined) {
  const reports: string[] = [];
  for (let chunk = 1; chunk <= chunks.length; chunk++) {
    const path = chunkReport(chunk);
    if (path === undefined) continue;
    try {
      reports.push(readFileSync(path, "utf8"));
      rmSync(path);
    } catch {
      // A chunk that died before writing its report: its exit code already fails the run.
    }
  }
  writeFileSync(options.outfile, mergeJunitReports(reports, Math.round(performance.now() - started) / 1000));
}

if (options.updateTimings) {
  const files: Record<string, number> = {};
  for (let chunk = 1; chunk <= chunks.length; chunk++) {
    try {
      const measured: unknown = JSON.parse(readFileSync(chunkTimings(chunk), "utf8"));
      rmSync(chunkTimings(chunk));
      if (typeof measured === "object" && measured !== null && "files" in measured && typeof measured.files === "object" && measured.files !== null) {
        for (const [file, ms] of Object.entries(measured.files)) if (typeof ms === "number") files[file] = Math.round(ms);
      }
    } catch {
      // A chunk that wrote nothing: its files keep no timing and the next run guesses them.
    }
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(ROOT, TIMINGS), `${JSON.stringify({ version: 1, files: sorted }, null, 2)}\n`);
}

// bun test ends with "N pass / N fail"; the chunks' totals in the same form.
const total = { pass: 0, skip: 0, fail: 0 };
for (const { err } of results) {
  for (const key of ["pass", "skip", "fail"] as const) {
    const match = err.match(new RegExp(`^\\s*(\\d+) ${key}$`, "m"));
    total[key] += Number(match?.[1] ?? 0);
  }
}
// When each worker ran out of chunks: how evenly the queue spread the suite.
process.stderr.write(`\nworkers finished at ${finished.join(", ")} s\n`);
process.stderr.write(`all ${chunks.length} chunks on ${workers} workers: ${total.pass} pass, ${total.skip} skip, ${total.fail} fail [${elapsed()} s]\n`);
process.exit(results.some(({ code }) => code !== 0) ? 1 : 0);
