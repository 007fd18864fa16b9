// What one acked echo over HTTP long-polling costs, for any Socket.IO server: the loop of
// ../shared/bench's polling scenario (POST the event, GET until the ack) with counters for requests,
// TCP connections and bytes per ack (through a counting TCP relay) and CPU time per ack of this
// client and of the server process. Counts are deterministic, so they compare servers on a busy machine.
//   bun test/bench/polling-echo-cost.ts --port 3000 --pid <server pid> [--clients 50] [--duration 4] [--relay]
import { readFileSync } from "node:fs";

const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? argv[i + 1] : undefined;
  return value === undefined ? fallback : value;
}
const PORT = Number(arg("port", "3000"));
const SERVER_PID = Number(arg("pid", "0"));
const CLIENTS = Number(arg("clients", "50"));
const DURATION = Number(arg("duration", "4"));
const WARMUP = Number(arg("warmup", "1"));
const USE_RELAY = argv.includes("--relay");
const PAD = "x".repeat(64);

/** A TCP relay that counts connections and bytes each way (its own CPU lands on this process). */
type RelayCounts = { connections: number; up: number; down: number };
function startRelay(target: number): { port: number; counts: RelayCounts } {
  const counts: RelayCounts = { connections: 0, up: 0, down: 0 };
  type Pair = { upstream: import("bun").Socket<Pair> | undefined; pending: Uint8Array[]; client: import("bun").Socket<Pair> };
  const listener = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        counts.connections++;
        const pair: Pair = { upstream: undefined, pending: [], client };
        client.data = pair;
        void Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port: target,
          data: pair,
          socket: {
            open(up) {
              pair.upstream = up;
              for (const chunk of pair.pending) up.write(chunk);
              pair.pending = [];
            },
            data(_up, chunk) {
              counts.down += chunk.byteLength;
              pair.client.write(chunk);
            },
            close() {
              pair.client.end();
            },
          },
        });
      },
      data(client, chunk) {
        counts.up += chunk.byteLength;
        const up = client.data.upstream;
        if (up) up.write(chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      close(client) {
        client.data.upstream?.end();
      },
    },
  });
  return { port: listener.port, counts };
}

function serverCpuSeconds(): number {
  if (!SERVER_PID) return 0;
  const stat = readFileSync(`/proc/${SERVER_PID}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}
function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const relay = USE_RELAY ? startRelay(PORT) : undefined;
const url = `http://127.0.0.1:${relay ? relay.port : PORT}/socket.io/?EIO=4&transport=polling`;
const counter = { gets: 0, posts: 0, getBytes: 0, emptyGets: 0, packetsPerGet: 0 };

async function get(sid: string): Promise<string> {
  counter.gets++;
  const response = await fetch(`${url}&sid=${sid}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${response.status}`);
  const text = await response.text();
  counter.getBytes += text.length;
  counter.packetsPerGet += text.split("\x1e").length;
  return text;
}
async function post(sid: string, body: string): Promise<void> {
  counter.posts++;
  const response = await fetch(`${url}&sid=${sid}`, {
    method: "POST",
    body,
    headers: { "content-type": "text/plain;charset=UTF-8" },
    signal: AbortSignal.timeout(10_000), // as the shared bench's client does
  });
  if (!response.ok) throw new Error(`POST ${response.status}`);
  await response.text();
}

async function open(): Promise<string> {
  const response = await fetch(url);
  const text = await response.text();
  if (text[0] !== "0") throw new Error(`handshake: ${text.slice(0, 80)}`);
  const sid = (JSON.parse(text.slice(1)) as { sid: string }).sid;
  await post(sid, "40");
  let got = "";
  for (let k = 0; k < 5 && !got.includes("40{"); k++) got += await get(sid);
  if (!got.includes("40{")) throw new Error("no CONNECT ack");
  return sid;
}

const sids = await Promise.all(Array.from({ length: CLIENTS }, open));
let running = true;
let acks = 0;
const rtts: number[] = [];
let measuring = false;
async function client(sid: string): Promise<void> {
  let id = 0;
  const body = `["echo","${PAD}"]`;
  while (running) {
    id++;
    const start = performance.now();
    await post(sid, `42${id}${body}`);
    const want = `43${id}[`;
    for (;;) {
      const text = await get(sid);
      const packets = text.split("\x1e");
      if (packets.includes("2")) await post(sid, "3");
      if (packets.some((p) => p.startsWith(want))) break;
    }
    acks++;
    if (measuring) rtts.push(performance.now() - start);
  }
}
const loops = sids.map(client);
await Bun.sleep(WARMUP * 1000);
const before = { ...counter, acks, t: performance.now(), own: ownCpuSeconds(), srv: serverCpuSeconds(), relay: relay ? { ...relay.counts } : undefined };
measuring = true;
await Bun.sleep(DURATION * 1000);
measuring = false;
const after = { ...counter, acks, t: performance.now(), own: ownCpuSeconds(), srv: serverCpuSeconds(), relay: relay ? { ...relay.counts } : undefined };
running = false;
await Promise.all(loops);

const n = after.acks - before.acks;
const per = (a: number, b: number) => Math.round(((a - b) / n) * 1000) / 1000;
rtts.sort((a, b) => a - b);
const result: Record<string, number | string> = {
  acks: n,
  acksPerS: Math.round(n / ((after.t - before.t) / 1000)),
  rttP50Ms: Math.round((rtts[Math.floor(rtts.length / 2)] ?? 0) * 100) / 100,
  requestsPerAck: per(after.gets + after.posts, before.gets + before.posts),
  getsPerAck: per(after.gets, before.gets),
  postsPerAck: per(after.posts, before.posts),
  packetsPerGet: Math.round(((after.packetsPerGet - before.packetsPerGet) / (after.gets - before.gets)) * 1000) / 1000,
  clientCpuUsPerAck: Math.round(((after.own - before.own) / n) * 1e6),
  serverCpuUsPerAck: Math.round(((after.srv - before.srv) / n) * 1e6),
};
if (before.relay && after.relay) {
  result.tcpConnectionsPerAck = per(after.relay.connections, before.relay.connections);
  result.bytesUpPerAck = per(after.relay.up, before.relay.up);
  result.bytesDownPerAck = per(after.relay.down, before.relay.down);
}
console.log(JSON.stringify(result));
process.exit(0);
