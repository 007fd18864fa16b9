// `bun run bench:cluster`: room chat on two nodes (ADAPTER=redis or postgres, one Postgres) against one node.
// Stock socket.io-clients (WebSocket) split across the nodes all join one room. Phase 1 offers a
// fixed rate of message:send and times each send → message:received (cross-node and same-node);
// phase 2 keeps a window of sends in flight per client and counts acked messages/s. The servers
// run pinned to core 0 (both nodes share it, the same CPU as the one node), this generator to core 1.
// Each phase also reports the CPU time each node process used per acknowledged message (from
// /proc/<pid>/stat): on a shared machine the steadiest measure of what the cluster path costs; and
// how often each node's event loop slept per message (fewer when work arrives in batches).
//   bun test/bench/cluster.ts [--adapter redis|postgres] [--clients 8] [--rate 1000] [--seconds 10] [--window 16] [--throughput-seconds 5]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { io as ioc, type Socket } from "socket.io-client";
import { createTokenService } from "../../src/auth/tokens.ts";
import { freshPostgresDatabase, postgresAvailable, startAppNode, type AppNode } from "../cluster/processes.ts";
import { redisAvailable } from "../cluster/support.ts";
import { meterCpu, type CpuMeter } from "./process-cpu.ts";

const { values } = parseArgs({
  options: {
    adapter: { type: "string", default: "redis" },
    clients: { type: "string", default: "8" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    window: { type: "string", default: "16" },
    "throughput-seconds": { type: "string", default: "5" },
    "no-pin": { type: "boolean", default: false },
  },
});
if (values.adapter !== "redis" && values.adapter !== "postgres") throw new Error(`--adapter must be redis or postgres, not ${values.adapter}`);
const CLUSTER_ADAPTER: "redis" | "postgres" = values.adapter;
const CLIENTS = Number(values.clients);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WINDOW = Number(values.window);
const THROUGHPUT_SECONDS = Number(values["throughput-seconds"]);
const WARMUP_MS = 1000;
// BENCH_BUN_ARGS: extra flags for the nodes' bun, e.g. "--cpu-prof-md --cpu-prof-dir=/tmp/prof".
const BUN_ARGS = (process.env.BENCH_BUN_ARGS ?? "").split(" ").filter(Boolean);
const SECRET = `cluster-bench-${crypto.randomUUID()}`;

const pin = !values["no-pin"] && Bun.spawnSync(["sh", "-c", "command -v taskset"]).exitCode === 0;
if (pin) Bun.spawnSync(["taskset", "-pc", "1", String(process.pid)], { stdout: "ignore" });
const log = (line: string) => process.stderr.write(`${line}\n`);

type Client = { socket: Socket; node: number };
type Mode = { name: "one node" | "two nodes"; adapter: "local" | "redis" | "postgres"; nodes: number };
type Result = {
  mode: Mode["name"];
  sent: number;
  delivered: number;
  expected: number;
  crossNode: Latency | undefined;
  sameNode: Latency | undefined;
  messagesPerS: number;
  deliveriesPerS: number;
  /** How late the generator's own timers fired during phase 1: its event loop's delay, part of every latency it measures. */
  generatorDelay: Latency | undefined;
  /** Sends answered with an error, by code (none expected). */
  failedAcks: Record<string, number>;
  /** CPU time of each node process per phase, and per message acknowledged ok in that phase. */
  cpu: { fixedRate: PhaseCpu; closedLoop: PhaseCpu };
};
type PhaseCpu = {
  okAcks: number;
  nodes: { userMs: number; systemMs: number; usPerMessage: number; sleepsPerMessage: number }[];
  usPerMessage: number;
};

function phaseCpu(meters: CpuMeter[], okAcks: number): PhaseCpu {
  const perMessage = (ms: number) => (okAcks === 0 ? NaN : Math.round((ms * 1000) / okAcks));
  const nodes = meters.map((meter) => {
    const { userMs, systemMs, sleeps } = meter.stop();
    return { userMs, systemMs, usPerMessage: perMessage(userMs + systemMs), sleepsPerMessage: okAcks === 0 ? NaN : Math.round((sleeps / okAcks) * 100) / 100 };
  });
  return { okAcks, nodes, usPerMessage: perMessage(nodes.reduce((sum, node) => sum + node.userMs + node.systemMs, 0)) };
}
type Latency = { samples: number; p50: number; p99: number; max: number };

function latencyOf(samples: number[]): Latency | undefined {
  if (samples.length === 0) return undefined;
  const sorted = samples.toSorted((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? NaN) };
}
const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * This process' event-loop delay: a 1 ms timer, re-armed each time, and how much later than due
 * it fired. A delivery that arrives while the generator is busy is timed late by as much, so a
 * p99 of this near the measured latency's p99 means the generator, not the nodes, sets that tail.
 */
function meterLoopDelay(): { stop(): Latency | undefined } {
  const delays: number[] = [];
  let due = performance.now() + 1;
  const tick = () => {
    const now = performance.now();
    delays.push(Math.max(0, now - due));
    due = now + 1;
    timer = setTimeout(tick, 1);
  };
  let timer = setTimeout(tick, 1);
  return {
    stop() {
      clearTimeout(timer);
      return latencyOf(delays);
    },
  };
}

async function insertUsers(url: string, count: number): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string }[]>`
      insert into users (email, password_hash, first_name, last_name)
      select 'cluster-bench-' || g || '-' || ${crypto.randomUUID()} || '@bench.test', 'not-a-hash', 'User' || g, 'Bench'
      from generate_series(1, ${count}) g
      returning id`;
    return rows.map((row) => row.id);
  } finally {
    await sql.end();
  }
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token }, timeout: 10_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => reject(new Error(`connect to ${url}: ${error.message}`)));
  });
}

function emitAck(socket: Socket, event: string, payload: unknown): Promise<{ ok: boolean; data?: unknown; error?: { code: string } }> {
  return socket.timeout(10_000).emitWithAck(event, payload);
}

async function runMode(mode: Mode, databaseUrl: string, tokens: string[]): Promise<Result> {
  const env = {
    ADAPTER: mode.adapter,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    // The generator's clients send far beyond a person's rate on purpose.
    SOCKET_EVENTS_PER_SECOND: "1000000",
    SOCKET_EVENT_BURST: "1000000",
  };
  const nodes: AppNode[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < mode.nodes; i++) nodes.push(await startAppNode(env, pin ? ["taskset", "-c", "0"] : [], BUN_ARGS));
    const urls = nodes.map((node) => node.url);
    for (const [i, token] of tokens.entries()) {
      const node = i % nodes.length;
      clients.push({ socket: await connect(urls[node] ?? "", token), node });
    }
    const owner = tokens[0] ?? "";
    const created = await fetch(`${urls[0]}/api/rooms`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${owner}` },
      body: JSON.stringify({ name: `Bench ${mode.name}`, isPublic: true }),
    });
    const room = ((await created.json()) as { data: { id: string } }).data;
    for (const client of clients) {
      const joined = await emitAck(client.socket, "room:join", room.id);
      if (!joined.ok) throw new Error(`room:join failed: ${JSON.stringify(joined)}`);
    }

    // Every message text is its sequence number; the sender's send time and node are kept by it.
    const sentAt: number[] = [];
    const sentFrom: number[] = [];
    const cross: number[] = [];
    const same: number[] = [];
    let delivered = 0;
    let okAcks = 0;
    let acks = 0;
    const failedAcks: Record<string, number> = {};
    let measureFrom = Infinity;
    let lastDeliveryAt = performance.now();
    for (const client of clients) {
      client.socket.on("message:received", (payload: { text: string }) => {
        const now = performance.now();
        delivered++;
        lastDeliveryAt = now;
        const seq = Number(payload.text);
        const at = sentAt[seq];
        if (at === undefined || at < measureFrom) return;
        (sentFrom[seq] === client.node ? same : cross).push(now - at);
      });
    }
    const send = (client: Client, onAck?: () => void) => {
      const seq = sentAt.length;
      sentAt.push(performance.now());
      sentFrom.push(client.node);
      client.socket.emit("message:send", { roomId: room.id, text: String(seq) }, (ack: { ok: boolean; error?: { code: string } }) => {
        acks++;
        if (ack.ok) okAcks++;
        else failedAcks[ack.error?.code ?? "MALFORMED"] = (failedAcks[ack.error?.code ?? "MALFORMED"] ?? 0) + 1;
        onAck?.();
      });
    };

    // Phase 1: a fixed offered rate, round robin over the clients, paced against the clock.
    const meterNodes = () => nodes.map((node) => meterCpu(node.pid));
    let meters = meterNodes();
    let loopDelay: ReturnType<typeof meterLoopDelay> | undefined;
    const start = performance.now();
    measureFrom = start + WARMUP_MS;
    const end = start + WARMUP_MS + SECONDS * 1000;
    let next = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      while (sentAt.length < due) send(clients[next++ % clients.length] as Client);
      if (!loopDelay && performance.now() >= measureFrom) loopDelay = meterLoopDelay();
      await Bun.sleep(2);
    }
    const generatorDelay = loopDelay?.stop();
    const phaseOneSent = sentAt.length;
    measureFrom = Infinity;
    // Every send is answered, and what a successful one broadcast arrives (or nothing comes for 2 s).
    while (acks < phaseOneSent && performance.now() - lastDeliveryAt < 10_000) await Bun.sleep(20);
    while (delivered < okAcks * clients.length && performance.now() - lastDeliveryAt < 2000) await Bun.sleep(20);
    const phaseOneDelivered = delivered;
    const phaseOneExpected = okAcks * clients.length;
    const fixedRate = phaseCpu(meters, okAcks);

    // Phase 2: closed loop, WINDOW sends in flight per client, for THROUGHPUT_SECONDS.
    let running = true;
    let acked = 0;
    const deliveredBefore = delivered;
    const okAcksBefore = okAcks;
    meters = meterNodes();
    const pump = (client: Client) => {
      if (!running) return;
      send(client, () => {
        acked++;
        pump(client);
      });
    };
    const t0 = performance.now();
    for (const client of clients) for (let i = 0; i < WINDOW; i++) pump(client);
    await Bun.sleep(THROUGHPUT_SECONDS * 1000);
    running = false;
    const elapsedS = (performance.now() - t0) / 1000;
    const ackedInWindow = acked;
    const deliveredInWindow = delivered - deliveredBefore;
    while (acks < sentAt.length && performance.now() - lastDeliveryAt < 10_000) await Bun.sleep(20);
    while (delivered < okAcks * clients.length && performance.now() - lastDeliveryAt < 2000) await Bun.sleep(20);
    const closedLoop = phaseCpu(meters, okAcks - okAcksBefore);

    return {
      mode: mode.name,
      sent: phaseOneSent,
      delivered: phaseOneDelivered,
      expected: phaseOneExpected,
      crossNode: latencyOf(cross),
      sameNode: latencyOf(same),
      generatorDelay,
      messagesPerS: Math.round(ackedInWindow / elapsedS),
      deliveriesPerS: Math.round(deliveredInWindow / elapsedS),
      failedAcks,
      cpu: { fixedRate, closedLoop },
    };
  } finally {
    for (const client of clients) client.socket.disconnect();
    for (const node of nodes) await node[Symbol.asyncDispose]();
  }
}

const describe = (l: Latency | undefined) => (l === undefined ? "–" : `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms (${l.samples})`);
const describeCpu = (phase: PhaseCpu) =>
  `${phase.usPerMessage} µs/msg in all (${phase.nodes.map((node) => `${node.usPerMessage}`).join(" + ")}; user+sys ${phase.nodes.map((node) => `${node.userMs}+${node.systemMs} ms`).join(", ")}; event-loop sleeps/msg ${phase.nodes.map((node) => node.sleepsPerMessage).join(" + ")}) over ${phase.okAcks} acked`;

async function main() {
  if (!(await postgresAvailable("bench:cluster")) || (CLUSTER_ADAPTER === "redis" && !(await redisAvailable("bench:cluster")))) process.exit(1);
  await using database = await freshPostgresDatabase("cluster_bench");
  // The first node migrates the fresh database; users go in afterwards, straight through SQL.
  const migrator = await startAppNode({ DATABASE_URL: database.url, JWT_SECRET: SECRET });
  await migrator[Symbol.asyncDispose]();
  const userIds = await insertUsers(database.url, CLIENTS);
  const tokenService = createTokenService({ secret: SECRET });
  const tokens = await Promise.all(userIds.map(async (id) => (await tokenService.issue(id)).token));

  const results: Result[] = [];
  for (const mode of [
    { name: "one node", adapter: "local", nodes: 1 },
    { name: "two nodes", adapter: CLUSTER_ADAPTER, nodes: 2 },
  ] satisfies Mode[]) {
    log(`${mode.name} (ADAPTER=${mode.adapter}, load average ${loadavg()[0]?.toFixed(1)}): ${CLIENTS} clients in one room, ${RATE} msg/s for ${SECONDS} s, then ${WINDOW} in flight per client for ${THROUGHPUT_SECONDS} s`);
    const result = await runMode(mode, database.url, tokens);
    results.push(result);
    log(
      `  delivered ${result.delivered}/${result.expected}; cross-node ${describe(result.crossNode)}; same node ${describe(result.sameNode)}; ` +
        `${result.messagesPerS} msg/s acked (${result.deliveriesPerS} deliveries/s); failed acks ${JSON.stringify(result.failedAcks)}; ` +
        `generator event-loop delay ${describe(result.generatorDelay)}`,
    );
    log(`  node CPU at ${RATE} msg/s: ${describeCpu(result.cpu.fixedRate)}; closed loop: ${describeCpu(result.cpu.closedLoop)}`);
  }
  const [single, cluster] = results;
  const ratio = single && cluster ? Math.round((cluster.messagesPerS / single.messagesPerS) * 100) / 100 : NaN;
  console.log(JSON.stringify({ loadAverage: loadavg(), adapter: CLUSTER_ADAPTER, clients: CLIENTS, rate: RATE, seconds: SECONDS, window: WINDOW, pinned: pin, results, throughputRatio: ratio }));
  log(`two nodes / one node throughput: ${ratio}; cross-node p99 ${cluster?.crossNode?.p99 ?? "–"} ms at ${RATE} msg/s (targets: < 10 ms, ≥ 0.5); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
}

await main();
