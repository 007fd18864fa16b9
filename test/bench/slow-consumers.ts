// Measures what issue 10 asks to report for slow consumers: N WebSocket peers that stop reading
// (python3 processes with a 4 KiB receive buffer) while the server keeps sending to them; prints
// the server's RSS before, at its peak and after every stalled session was closed by backpressure.
// `bun test/bench/slow-consumers.ts [peers]`. Default backpressureLimit (1 MiB).
import type { EngineSession } from "../../src/engine/types.ts";
import { QUIET_OPTIONS, startEngineServer, upgradeRequest } from "../support/engine-server.ts";

const peers = Number(process.argv[2] ?? 50);
const sessions: EngineSession[] = [];
await using s = await startEngineServer(QUIET_OPTIONS, (session) => void sessions.push(session));
const request = upgradeRequest(s.port, "/engine.io/?EIO=4&transport=websocket");
const script = `import socket, time
s = socket.create_connection(("127.0.0.1", ${s.port}))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(${JSON.stringify(request)}.encode())
time.sleep(180)`;
const children = Array.from({ length: peers }, () => Bun.spawn(["python3", "-c", script], { stdout: "ignore", stderr: "inherit" }));
const deadline = performance.now() + 90_000;
while (sessions.length < peers) {
  if (performance.now() > deadline) throw new Error(`only ${sessions.length} of ${peers} peers connected`);
  await Bun.sleep(20);
}
Bun.gc(true);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const before = process.memoryUsage().rss;
let peak = before;
let sent = 0;
const chunk = "x".repeat(64 * 1024);
while (sessions.some((session) => !session.closed) && sent < 4 * 1024 ** 3) {
  for (const session of sessions) if (!session.closed) session.send(chunk);
  sent += chunk.length * peers;
  peak = Math.max(peak, process.memoryUsage().rss);
  await new Promise<void>((resolve) => setImmediate(resolve));
}
Bun.gc(true);
const after = process.memoryUsage().rss;
for (const child of children) child.kill();
console.log(
  `${peers} stalled WebSocket peers, 64 KiB sends until each is closed: offered ${mib(sent)} MiB; ` +
    `RSS ${mib(before)} MiB before, ${mib(peak)} MiB at peak (+${mib(peak - before)}, ${((peak - before) / peers / 1024).toFixed(0)} KiB per peer), ${mib(after)} MiB after; ` +
    `closed ${sessions.filter((session) => session.closed).length}/${peers}`,
);
