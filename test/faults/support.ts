// Shared by the fault suites: the app on a database of its own (Postgres behind a cuttable proxy, or
// a PGlite directory), a room with sockets in it, a log that tests can read, sends with their timing,
// and bounded polling for a condition.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../../src/lib/logger.ts";
import { emitAck, expectOk, startChat, type ChatHarness, type ChatUser, type ClientSocket, type WireRoom } from "../support/chat-client.ts";
import { createFaultDatabase, type FaultDatabase } from "../support/fault-database.ts";

/** A logger that keeps its lines, for tests that check what an operator would read. */
export function capturingLogger(): Logger & { lines: string[]; text(): string } {
  const lines: string[] = [];
  const logger = createLogger("debug", (line) => void lines.push(line));
  return { ...logger, lines, text: () => lines.join("\n") };
}

export type FaultScene = {
  chat: ChatHarness;
  log: ReturnType<typeof capturingLogger>;
  owner: ChatUser;
  room: WireRoom;
  sockets: ClientSocket[];
  [Symbol.asyncDispose](): Promise<void>;
};

/** The app on `env` (its own database), `clients` sockets of one user joined to one room. */
export async function faultScene(env: Record<string, string>, clients = 1, dispose: () => Promise<void> = async () => {}): Promise<FaultScene> {
  const log = capturingLogger();
  const chat = await startChat(env, { ownDatabase: true, logger: log });
  const owner = await chat.user("Ada", "Outage");
  const room = await chat.createRoom(owner, { name: "Outage room" });
  const sockets: ClientSocket[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = await chat.connect(owner);
    expectOk(await emitAck(socket, "room:join", room.id));
    sockets.push(socket);
  }
  return {
    chat,
    log,
    owner,
    room,
    sockets,
    async [Symbol.asyncDispose]() {
      try {
        await chat[Symbol.asyncDispose]();
      } finally {
        await dispose();
      }
    },
  };
}

/** The app on Postgres through a proxy the test can cut; the database is dropped on dispose. */
export async function postgresScene(env: Record<string, string> = {}, clients = 1): Promise<FaultScene & { db: FaultDatabase }> {
  const db = await createFaultDatabase();
  const scene = await faultScene({ DATABASE_URL: db.url, ...env }, clients, () => db[Symbol.asyncDispose]());
  return Object.assign(scene, { db });
}

/** The app on a PGlite data directory of its own (removed on dispose). */
export async function pgliteScene(env: Record<string, string> = {}, clients = 1): Promise<FaultScene & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-faults-"));
  const scene = await faultScene({ DATA_DIR: dataDir, ...env }, clients, async () => rmSync(dataDir, { recursive: true, force: true }));
  return Object.assign(scene, { dataDir });
}

/** One send's outcome: when it left, how long its ack took, and its code ("OK", an error code, or "NO_ACK"). */
export type SendResult = { at: number; ms: number; code: string };

/** message:send with a client-side ack timeout; never throws. */
export async function timedSend(socket: ClientSocket, roomId: string, text: string, timeoutMs = 10_000): Promise<SendResult> {
  const at = performance.now();
  try {
    const ack = (await socket.timeout(timeoutMs).emitWithAck("message:send", { roomId, text })) as { ok: boolean; error?: { code: string } };
    return { at, ms: performance.now() - at, code: ack.ok ? "OK" : (ack.error?.code ?? "MALFORMED") };
  } catch {
    return { at, ms: performance.now() - at, code: "NO_ACK" };
  }
}

/**
 * Keeps every socket sending (each waits for its ack, then its next tick) until stop() is called;
 * the ticks only pace the load, nothing waits on them for a condition.
 */
export function sendLoad(sockets: ClientSocket[], roomId: string, everyMs = 50) {
  const results: SendResult[] = [];
  let running = true;
  const loops = sockets.map(async (socket, n) => {
    for (let i = 0; running; i++) {
      results.push(await timedSend(socket, roomId, `load ${n}.${i}`));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  });
  return {
    results,
    async stop(): Promise<SendResult[]> {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

/** Polls `check` until it answers a value other than undefined; rejects after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 10_000, everyMs = 50): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** GET `path` with its time; the status is 0 when no answer came within `ms`. */
export async function timedGet(url: string, ms = 5000): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ms) });
    const body: unknown = await response.json().catch(() => undefined);
    return { status: response.status, ms: performance.now() - started, body };
  } catch {
    return { status: 0, ms: performance.now() - started, body: undefined };
  }
}
