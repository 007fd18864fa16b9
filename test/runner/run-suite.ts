// `bun run test`: the suite as one `bun test --parallel`: worker processes (two per CPU this process
// may use) take files one at a time, slowest first by test/timings.json, an idle worker taking work a
// busy one has not started; then removes what the workers left (test/support/suite-scratch.ts).
//   bun test/runner/run-suite.ts [--workers N] [--update-timings] [bun test options…] [files…]   (files: one plain `bun test`)
// --update-timings rewrites test/timings.json with the durations measured in this run, workers running
// side by side as they always do, which is what the order has to predict.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { removeLeftovers, SCRATCH_VARIABLE } from "../support/suite-scratch.ts";
import { memoryTempDirectory } from "./memory-tmpdir.ts";

const ROOT = join(import.meta.dir, "..", "..");
const TIMINGS = "test/timings.json";
// Two per CPU the affinity mask allows (four on a 2-core machine): files often wait (timeouts,
// outages, child servers starting) and another worker's file uses the core meanwhile (three or five
// were no faster, six slower). None (the plain sequential run) under `taskset -c 0`.
const CPUS = availableParallelism();
const DEFAULT_WORKERS = CPUS === 1 ? 1 : CPUS * 2;
const CASE_TIMEOUT = "--timeout=30000";
// Bun's allocator (mimalloc) hands freed memory back to the kernel after a short delay and faults it
// in again at the next allocation; in test processes, which live a minute, that was a third of the
// page faults and about a tenth of the suite's CPU (test/gateway alone: 9.7 s against 8.5 s). The
// servers the tests spawn inherit it; a value already set wins. So does a TMPDIR already set; else the
// run's temporary files go to memory where the machine has room (memory-tmpdir.ts), removed after.
const memoryTemp = process.env.TMPDIR ? undefined : memoryTempDirectory();
const TEST_ENV = {
  ...process.env,
  MIMALLOC_PURGE_DELAY: process.env.MIMALLOC_PURGE_DELAY ?? "-1",
  ...(memoryTemp === undefined ? {} : { TMPDIR: memoryTemp }),
};
const removeMemoryTemp = () => {
  if (memoryTemp !== undefined) rmSync(memoryTemp, { recursive: true, force: true });
};
// Ctrl-C reaches the whole process group; the runner stays to clean up after bun test has gone.
process.on("SIGINT", () => {});

type Options = { workers: number; updateTimings: boolean; passThrough: string[]; files: string[] };

function parse(args: string[]): Options {
  const options: Options = { workers: DEFAULT_WORKERS, updateTimings: false, passThrough: [], files: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--workers" || arg.startsWith("--workers=")) {
      const value = arg === "--workers" ? args[++i] : arg.slice("--workers=".length);
      options.workers = Math.max(1, Number.parseInt(value ?? "", 10) || DEFAULT_WORKERS);
    } else if (arg === "--update-timings") options.updateTimings = true;
    else if (arg.startsWith("-")) options.passThrough.push(arg);
    else options.files.push(arg);
  }
  return options;
}

const options = parse(process.argv.slice(2));
const timings = [`--timings=${TIMINGS}`, ...(options.updateTimings ? ["--update-timings"] : [])];

// Named files, or one worker: one ordinary sequential `bun test`, whose preload closes what it opened.
if (options.files.length > 0 || options.workers === 1) {
  const child = Bun.spawn(["bun", "test", CASE_TIMEOUT, ...timings, ...options.passThrough, ...options.files], {
    cwd: ROOT,
    env: TEST_ENV,
    stdio: ["inherit", "inherit", "inherit"],
  });
  const code = await child.exited;
  removeMemoryTemp();
  process.exit(code);
}

// The workers keep their databases from file to file and exit without a word: they note what they
// leave in this directory, removed after the run.
const scratch = mkdtempSync(join(memoryTemp ?? tmpdir(), "studyconnect-suite-"));
const child = Bun.spawn(["bun", "test", CASE_TIMEOUT, `--parallel=${options.workers}`, "--no-isolate", ...timings, ...options.passThrough], {
  cwd: ROOT,
  env: { ...TEST_ENV, [SCRATCH_VARIABLE]: scratch },
  stdio: ["inherit", "inherit", "inherit"],
});
const code = await child.exited;
await removeLeftovers(scratch);
removeMemoryTemp();
process.exit(code);
