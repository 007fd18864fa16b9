// socket.io-client running under Node (not Bun) against our Server: a small .mjs script, written
// to a temp dir, loads socket.io-client from this project's node_modules and runs the same basic
// scenario three times (polling then upgrade, websocket only, polling only): connect, a server
// event, an echo ack, binary up with a binary ack, binary down, a server emitWithAck answered by
// the client, a client ack timeout, then disconnect. It prints one JSON result, asserted here
// together with what the server saw.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import { FAST_HEARTBEAT, startSio, until, withTimeout } from "../support/sio-client.ts";

const PROJECT_ROOT = join(import.meta.dir, "..", "..");

const SCRIPT = String.raw`
import { createRequire } from "node:module";
const require = createRequire(process.env.PROJECT_ROOT + "/package.json");
const { io } = require("socket.io-client");
const url = process.env.SIO_URL;

function once(emitter, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for " + event)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}
const bytes = (x) =>
  x instanceof ArrayBuffer ? [...new Uint8Array(x)] : ArrayBuffer.isView(x) ? [...new Uint8Array(x.buffer, x.byteOffset, x.byteLength)] : null;
const kind = (x) => (Buffer.isBuffer(x) ? "Buffer" : x instanceof ArrayBuffer ? "ArrayBuffer" : typeof x);

async function scenario(transports) {
  const out = { transports, runtime: "node " + process.version };
  const socket = io(url, { transports, forceNew: true, reconnection: false, autoConnect: false, auth: { runtime: "node" } });
  const connected = once(socket, "connect");
  const hello = once(socket, "hello");
  const binDown = once(socket, "bin-down");
  socket.on("question", (x, ack) => ack(x * 2));
  const opened = once(socket.io, "open");
  socket.connect();
  await opened;
  out.initialTransport = socket.io.engine.transport.name;
  const upgrade = transports.length > 1 ? once(socket.io.engine, "upgrade") : null;
  await connected;
  out.id = socket.id;
  out.hello = (await hello)[0];
  out.echo = await socket.timeout(2000).emitWithAck("echo", { n: 1, s: "héllo 😀", arr: [1, null, true] });
  const binAck = await socket.timeout(2000).emitWithAck("bin", { buf: Buffer.from([1, 2, 3]), nested: [new Uint8Array([4, 5])] });
  out.binAck = { kind: kind(binAck.reversed), bytes: bytes(binAck.reversed), count: binAck.count };
  const [down] = await binDown;
  out.binDown = { kind: kind(down.payload), bytes: bytes(down.payload), label: down.label };
  out.askResult = await socket.timeout(2000).emitWithAck("ask-me");
  try {
    await socket.timeout(100).emitWithAck("never-acked");
    out.timeout = "resolved";
  } catch (error) {
    out.timeout = error.message;
  }
  if (upgrade) out.upgradedTo = (await upgrade)[0].name;
  out.finalTransport = socket.io.engine.transport.name;
  out.afterUpgrade = await socket.timeout(2000).emitWithAck("echo", "after");
  const disconnected = once(socket, "disconnect");
  socket.disconnect();
  out.disconnectReason = (await disconnected)[0];
  return out;
}

const results = [];
for (const transports of [["polling", "websocket"], ["websocket"], ["polling"]]) results.push(await scenario(transports));
process.stdout.write(JSON.stringify(results));
// No process.exit(): Node ends once the last requests (the polling client's DISCONNECT) are done.
`;

type NodeResult = {
  transports: string[];
  runtime: string;
  initialTransport: string;
  id: string;
  hello: unknown;
  echo: unknown;
  binAck: { kind: string; bytes: number[] | null; count: unknown };
  binDown: { kind: string; bytes: number[] | null; label: unknown };
  askResult: unknown;
  timeout: string;
  upgradedTo?: string;
  finalTransport: string;
  afterUpgrade: unknown;
  disconnectReason: string;
};

type Ack = (...args: unknown[]) => void;

describe("socket.io-client under Node", () => {
  test("polling+upgrade, websocket only, polling only: events, acks, binary both ways, timeouts, disconnect", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const seen: { id: string; auth: unknown; binKinds: string[]; asked: unknown[]; reason?: string; transportAtEnd?: string }[] = [];
    h.io.on("connection", (socket: ServerSocket) => {
      const entry: (typeof seen)[number] = { id: socket.id, auth: socket.handshake.auth, binKinds: [], asked: [] };
      seen.push(entry);
      socket.emit("hello", { from: "bun server", id: socket.id });
      socket.on("echo", (value: unknown, ack: Ack) => ack(value));
      socket.on("bin", (payload: { buf: unknown; nested: unknown[] }, ack: Ack) => {
        const buf = payload.buf;
        entry.binKinds.push(Buffer.isBuffer(buf) ? "Buffer" : typeof buf, Buffer.isBuffer(payload.nested[0]) ? "Buffer" : typeof payload.nested[0]);
        const bytes = Buffer.isBuffer(buf) ? [...buf] : [];
        ack({ reversed: Buffer.from(bytes.reverse()), count: bytes.length });
        socket.emit("bin-down", { label: "down", payload: new Uint8Array([9, 8, 7, 255]) });
      });
      socket.on("ask-me", async (ack: Ack) => {
        const answer = await socket.timeout(2000).emitWithAck("question", 21);
        entry.asked.push(answer);
        ack(answer);
      });
      socket.on("disconnect", (reason) => {
        entry.reason = reason;
        entry.transportAtEnd = socket.conn.transport;
      });
    });

    const dir = mkdtempSync(join(tmpdir(), "sio-node-"));
    try {
      const script = join(dir, "scenario.mjs");
      writeFileSync(script, SCRIPT);
      const child = Bun.spawn(["node", script], {
        env: { ...process.env, SIO_URL: h.origin, PROJECT_ROOT },
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => child.kill(), 15_000);
      const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      clearTimeout(timer);
      if (code !== 0) throw new Error(`node exited with ${code}: ${stderr}\n${stdout}`);
      const results = JSON.parse(stdout) as NodeResult[];
      expect(results).toHaveLength(3);
      for (const result of results) {
        expect(result.runtime.startsWith("node v")).toBe(true);
        expect(result.hello).toEqual({ from: "bun server", id: result.id });
        expect(result.echo).toEqual({ n: 1, s: "héllo 😀", arr: [1, null, true] });
        expect(result.binAck).toEqual({ kind: "Buffer", bytes: [3, 2, 1], count: 3 });
        expect(result.binDown.label).toBe("down");
        expect(["Buffer", "ArrayBuffer"]).toContain(result.binDown.kind);
        expect(result.binDown.bytes).toEqual([9, 8, 7, 255]);
        expect(result.askResult).toBe(42);
        expect(result.timeout).toBe("operation has timed out");
        expect(result.afterUpgrade).toBe("after");
        expect(result.disconnectReason).toBe("io client disconnect");
      }
      const [upgraded, wsOnly, pollingOnly] = results as [NodeResult, NodeResult, NodeResult];
      expect(upgraded.initialTransport).toBe("polling");
      expect(upgraded.upgradedTo).toBe("websocket");
      expect(upgraded.finalTransport).toBe("websocket");
      expect(wsOnly.initialTransport).toBe("websocket");
      expect(wsOnly.finalTransport).toBe("websocket");
      expect(pollingOnly.initialTransport).toBe("polling");
      expect(pollingOnly.finalTransport).toBe("polling");

      await withTimeout(
        until(() => (seen.length === 3 && seen.every((entry) => entry.reason !== undefined) ? true : undefined), 1000, "three server-side disconnects"),
        2000,
        "server-side disconnects",
      );
      expect(seen.map((entry) => entry.id)).toEqual(results.map((result) => result.id));
      for (const entry of seen) {
        expect(entry.auth).toEqual({ runtime: "node" });
        expect(entry.binKinds).toEqual(["Buffer", "Buffer"]);
        expect(entry.asked).toEqual([42]);
        expect(entry.reason).toBe("client namespace disconnect");
      }
      expect(seen.map((entry) => entry.transportAtEnd)).toEqual(["websocket", "websocket", "polling"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
