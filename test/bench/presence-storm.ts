// `bun run bench:presence`: many users coming online at once. N authenticated sockets connect (K
// handshakes in flight); each first connection announces user:status to everyone already online,
// so the server fans out about N²/2 frames. Reports connects/s, the announcements delivered and the
// server's RSS per authenticated socket. The server runs pinned to core 0, this load generator to core 1.
// RSS per socket moves by ±20 % from run to run (garbage and allocator slack count, as in
// ../shared/bench), so it runs the storm --runs times, each on a fresh server, and reports medians.
//   bun test/bench/presence-storm.ts [--sockets 5000] [--concurrency 200] [--runs 3] [--database pglite|postgres]
import { parseArgs } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createTokenService } from "../../src/auth/tokens.ts";
import { openDatabase, rowsOf, type Database } from "../../src/db/database.ts";
import { PRESENCE_MAX_WAIT_MS } from "../../src/gateway/presence-announcer.ts";
import { postgresOptions } from "../support/database.ts";
import { createThrowawayPostgres } from "../support/throwaway-postgres.ts";
import { openCountingClient, type CountingClient } from "./ws-counting-client.ts";

const { values } = parseArgs({
  options: {
    sockets: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    database: { type: "string", default: "postgres" },
    "postgres-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    // Every socket as one user (tabs): no announcements, so RSS per socket is the socket's own cost.
    "one-user": { type: "boolean", default: false },
  },
});
const N = Number(values.sockets);
const K = Number(values.concurrency);
const RUNS = Math.max(1, Number(values.runs));
const SECRET = crypto.randomUUID() + crypto.randomUUID();
const ROOT = join(import.meta.dir, "..", "..");

const hasTaskset = Bun.spawnSync(["sh", "-c", "command -v taskset"]).exitCode === 0;
if (hasTaskset) Bun.spawnSync(["taskset", "-pc", "1", String(process.pid)], { stdout: "ignore" });

const cleanups: (() => Promise<void> | void)[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

async function prepareDatabase(): Promise<{ env: Record<string, string>; userIds: string[] }> {
  const insertUsers = async (database: Database) => {
    await database.migrate();
    const rows = await database.db.execute(
      sql`insert into users (email, password_hash, first_name, last_name)
          select 'storm-' || g || '@bench.test', 'not-a-hash', 'User' || g, 'Storm' from generate_series(1, ${N}) g
          returning id`,
    );
    return rowsOf<{ id: string }>(rows).map((r) => r.id);
  };
  if (values.database === "pglite") {
    const dataDir = mkdtempSync(join(tmpdir(), "presence-storm-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const database = await openDatabase({ driver: "pglite", dataDir });
    const userIds = await insertUsers(database);
    await database.close();
    return { env: { DATA_DIR: dataDir, DATABASE_URL: "" }, userIds };
  }
  const own = await createThrowawayPostgres(values["postgres-url"] ?? "", `presence_storm_${process.pid}`);
  cleanups.push(own.drop);
  const database = await openDatabase(postgresOptions(own.url, 2));
  const userIds = await insertUsers(database);
  await database.close();
  return { env: { DATABASE_URL: own.url, DATA_DIR: mkdtempSync(join(tmpdir(), "presence-storm-")) }, userIds };
}

// The N users come from one loopback address here, as they would from many in life: the per-address
// handshake limits (1 000/s, 1 000 pending by default) would refuse the storm with 429, so lift them.
const UNLIMITED_ADDRESS = {
  HANDSHAKES_PER_ADDRESS_PER_SECOND: "1000000",
  HANDSHAKE_BURST_PER_ADDRESS: "1000000",
  PENDING_CONNECTIONS_PER_ADDRESS: "1000000",
};

async function startServer(env: Record<string, string>) {
  // BENCH_BUN_ARGS: extra flags for the server's bun, e.g. "--cpu-prof-md --cpu-prof-dir=/tmp/prof".
  const bunArgs = (process.env.BENCH_BUN_ARGS ?? "").split(" ").filter(Boolean);
  const entry = process.env.BENCH_SERVER_ENTRY ?? join(ROOT, "src", "main.ts");
  const command = [...(hasTaskset ? ["taskset", "-c", "0"] : []), "bun", ...bunArgs, entry];
  const child = Bun.spawn(command, {
    env: { ...process.env, ...env, ...UNLIMITED_ADDRESS, PORT: "0", HOST: "127.0.0.1", JWT_SECRET: SECRET, LOG_LEVEL: "info" },
    stdout: "ignore",
    stderr: "pipe",
  });
  // Once: each run stops its server, and the cleanups stop it too when a run fails half way.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // SIGTERM first, so a profiler asked for through BENCH_BUN_ARGS can write its report.
      child.kill("SIGTERM");
      await Promise.race([child.exited, Bun.sleep(5000)]);
      child.kill("SIGKILL");
    })());
  cleanups.push(stop);
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  let seen = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`server exited before listening:\n${seen}`);
    seen += decoder.decode(value, { stream: true });
    const match = /listening on http:\/\/[^:]+:(\d+)/.exec(seen);
    if (match?.[1]) break;
  }
  // The rest of the server's log goes on to ours (warnings, errors), so its pipe never fills.
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      process.stderr.write(value);
    }
  })();
  const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(seen)?.[1]);
  return { pid: child.pid, port, stop };
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
/** User and system CPU time of a process, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
};

async function stormOnce(env: Record<string, string>, issued: { token: string }[]) {
  const server = await startServer(env);
  await Bun.sleep(500);
  if (process.env.BENCH_SIGNAL) process.kill(server.pid, "SIGUSR2");
  await Bun.sleep(300);
  const rssBefore = rssKiB(server.pid);
  const cpuBefore = cpuMs(server.pid);

  let connected = 0;
  let failed = 0;
  let events = 0;
  let lastEventAt = performance.now();
  const failures: string[] = [];
  const clients: CountingClient[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const token = issued[values["one-user"] ? 0 : next]?.token ?? "";
      next++;
      await new Promise<void>((resolve) => {
        openCountingClient({
          host: "127.0.0.1",
          port: server.port,
          auth: { token },
          onConnected: () => {
            connected++;
            resolve();
          },
          onFailed: (reason) => {
            failed++;
            if (failures.length < 5) failures.push(reason);
            resolve();
          },
          onEvent: () => {
            events++;
            lastEventAt = performance.now();
          },
        }).then((client) => clients.push(client), () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: K }, worker));
  const allConnectedMs = performance.now() - t0;
  // Announcements still in flight arrive; done once no window can still be open (the announcer holds
  // a burst's changes up to PRESENCE_MAX_WAIT_MS) and half a second more has passed quietly.
  while (performance.now() - Math.max(lastEventAt, t0 + allConnectedMs) < PRESENCE_MAX_WAIT_MS + 500) await Bun.sleep(50);
  const deliveredMs = lastEventAt - t0;
  const cpuAfter = cpuMs(server.pid);
  await Bun.sleep(1000);
  const rssAfter = rssKiB(server.pid);
  if (process.env.BENCH_SIGNAL) {
    process.kill(server.pid, "SIGUSR2");
    await Bun.sleep(1000);
  }
  const result = {
    database: values.database,
    sockets: N,
    concurrency: K,
    connected,
    failed,
    firstFailures: failures,
    allConnectedS: Math.round(allConnectedMs) / 1000,
    connectsPerS: Math.round(connected / (allConnectedMs / 1000)),
    announcementsReceived: events,
    announcementsPerS: Math.round(events / (deliveredMs / 1000)),
    lastAnnouncementS: Math.round(deliveredMs) / 1000,
    serverUserCpuS: (cpuAfter.user - cpuBefore.user) / 1000,
    serverSystemCpuS: (cpuAfter.system - cpuBefore.system) / 1000,
    rssBeforeMiB: Math.round(rssBefore / 102.4) / 10,
    rssAfterMiB: Math.round(rssAfter / 102.4) / 10,
    rssPerSocketKiB: Math.round(((rssAfter - rssBefore) / Math.max(1, connected)) * 10) / 10,
  };
  console.log(JSON.stringify(result));
  log(
    `${connected}/${N} authenticated sockets in ${result.allConnectedS} s (${result.connectsPerS}/s), ` +
      `${events} user:status frames (last at ${result.lastAnnouncementS} s), ${result.rssPerSocketKiB} KiB RSS per socket`,
  );
  for (const client of clients) client.close();
  await server.stop();
  return result;
}

/** The middle value; with an even count, the mean of the two middle ones. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const high = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const low = sorted[Math.ceil(sorted.length / 2) - 1] ?? NaN;
  return Math.round(((low + high) / 2) * 10) / 10;
}

async function main() {
  const { env, userIds } = await prepareDatabase();
  const tokens = createTokenService({ secret: SECRET });
  const issued = await Promise.all(userIds.map((id) => tokens.issue(id)));
  const results = [];
  for (let run = 0; run < RUNS; run++) results.push(await stormOnce(env, issued));
  if (RUNS === 1) return;
  const connects = results.map((r) => r.connectsPerS);
  const rss = results.map((r) => r.rssPerSocketKiB);
  log(
    `median of ${RUNS} runs: ${median(connects)} connects/s [${Math.min(...connects)}–${Math.max(...connects)}], ` +
      `${median(rss)} KiB RSS per socket [${Math.min(...rss)}–${Math.max(...rss)}], ` +
      `failed ${results.reduce((sum, r) => sum + r.failed, 0)}`,
  );
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
