// `bun run bench:startup`: time from spawning the server to /readyz answering 200, on a fresh
// DATA_DIR (the snapshot is copied) and on an existing one, for `bun src/main.ts` and the compiled
// binary (when dist/studyconnect exists). Prints median/min/max per case, the start-up phases the
// server logs at debug level (medians), and the load average, since the machine may be shared.
//   bun test/bench/startup.ts [--runs 7] [--targets source,binary] [--poll-ms 2] [--baseline <checkout>] [--remove-each-run]
// --baseline also times another checkout (e.g. a `git archive main` copy with its own `bun install`
// and `bun run build`), alternating with this one run by run, so both see the same load.
import { parseArgs } from "node:util";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "7" },
    targets: { type: "string", default: "source,binary" },
    "poll-ms": { type: "string", default: "2" },
    baseline: { type: "string" },
    "remove-each-run": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const POLL_MS = Number(values["poll-ms"]);
const ROOTS: Record<string, string> = { "": join(import.meta.dir, "..", ".."), ...(values.baseline ? { "baseline ": values.baseline } : {}) };
const commandOf = (root: string, target: string): string[] | undefined =>
  target === "source" ? [process.execPath, join(root, "src", "main.ts")] : target === "binary" ? [join(root, "dist", "studyconnect")] : undefined;

/** A port free right now (the kernel picks it; the server binds it a moment later). */
function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

// Debug lines the server writes at start-up: "start-up: <phase> atMs=<ms since process start>".
const PHASE = /DEBUG start-up: (.+?) atMs=([\d.]+)/;

// On a loaded machine wall time says little: the CPU time (all threads) spent until ready says more.
const TICKS_PER_SECOND = 100;
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined; // Not Linux.
  }
}

type Run = { readyMs: number; phases: Map<string, number>; cpuMs: number | undefined };

async function startOnce(command: string[], dataDir: string): Promise<Run> {
  const port = freePort();
  const started = performance.now();
  const child = Bun.spawn(command, {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "debug", NODE_ENV: "development" },
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  let readyMs: number | undefined;
  let cpuMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${await stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.status === 200) {
        readyMs = performance.now() - started;
        cpuMs = cpuMsOf(child.pid);
      }
    } catch {
      // Not listening yet.
    }
    if (readyMs === undefined) await Bun.sleep(POLL_MS);
    if (performance.now() - started > 30_000) throw new Error("the server was not ready within 30 s");
  }
  child.kill("SIGTERM");
  if ((await child.exited) !== 0) throw new Error(`the server did not shut down cleanly: ${await stderr}`);
  const phases = new Map<string, number>();
  for (const line of (await stderr).split("\n")) {
    const match = PHASE.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) phases.set(match[1], Number(match[2]));
  }
  return { readyMs, phases, cpuMs };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const ms = (x: number) => x.toFixed(0).padStart(5);

function report(name: string, runs: Run[]): void {
  const ready = runs.map((run) => run.readyMs);
  const cpu = runs.flatMap((run) => (run.cpuMs === undefined ? [] : [run.cpuMs]));
  console.log(
    `${name.padEnd(26)} median ${ms(median(ready))} ms  min ${ms(Math.min(...ready))}  max ${ms(Math.max(...ready))}  (n=${runs.length})` +
      (cpu.length > 0 ? `  CPU until ready: median ${ms(median(cpu))} ms` : ""),
  );
  const names = [...new Set(runs.flatMap((run) => [...run.phases.keys()]))];
  const phases = names.map((phase) => ({ phase, at: median(runs.map((run) => run.phases.get(phase) ?? Number.NaN).filter((x) => !Number.isNaN(x))) }));
  for (const { phase, at } of phases.sort((a, b) => a.at - b.at)) console.log(`    ${ms(at)} ms  ${phase}`);
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`startup bench: ${RUNS} runs per case, ${navigator.hardwareConcurrency} cores, load average ${load()}`);
for (const target of values.targets.split(",")) {
  const commands = Object.entries(ROOTS).flatMap(([label, root]) => {
    const command = commandOf(root, target);
    if (!command) throw new Error(`unknown target ${target}`);
    if (existsSync(command[command.length - 1] ?? "")) return [{ label, command, fresh: [] as Run[], existing: [] as Run[] }];
    console.log(`${label}${target}: ${command.join(" ")} not found (bun run build): skipped`);
    return [];
  });
  // Interleaved (fresh then existing on one directory, this checkout then the baseline), so a burst
  // of load elsewhere hits every case alike. The directories are removed at the end: on ext4 without
  // a journal, creating a file scans the inodes deleted in the last seconds (minutes while their
  // blocks are dirty), so removing one run's directory would slow the next run's restore (0.3-0.8 s
  // on this machine), which a user's first start does not pay. --remove-each-run measures that case.
  const dataDirs: string[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const { command, fresh, existing } of commands) {
        const dataDir = mkdtempSync(join(tmpdir(), "sc-startup-"));
        dataDirs.push(dataDir);
        fresh.push(await startOnce(command, dataDir));
        existing.push(await startOnce(command, dataDir));
        if (values["remove-each-run"]) rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
  for (const { label, fresh, existing } of commands) {
    report(`${label}${target} fresh`, fresh);
    report(`${label}${target} existing`, existing);
  }
}
console.log(`load average after: ${load()}`);
