// Engine.IO test support: an EngineServer on Bun.serve (port 0) with an echo handler that records
// sessions, messages and close reasons; a raw WebSocket client that buffers every frame; polling
// and raw-TCP request helpers; sentinels that replace fixed waits. `await using s = await
// startEngineServer()` stops everything.
import { bunEngineHandler, EngineServer } from "../../src/engine/index.ts";
import type { CloseReason, EngineOptions, EngineSession, MessageData } from "../../src/engine/types.ts";

/** The official engine.io-protocol suite's server: ping 300/200, maxPayload 1e6, CORS `*`. */
export const SUITE_OPTIONS: Partial<EngineOptions> = {
  path: "/engine.io/",
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
};

/** For cases where a heartbeat would only add noise: no ping for 10 s. */
export const QUIET_OPTIONS: Partial<EngineOptions> = { ...SUITE_OPTIONS, pingInterval: 10_000, pingTimeout: 5_000 };

export const RS = "\x1e";

export type CloseRecord = { sid: string; reason: CloseReason; description: string | undefined };
export type MessageRecord = { sid: string; data: MessageData };

export type HttpResult = { status: number; body: string; headers: Headers };

export type RequestRecord = { method: string; sid: string | null };

export type OpenPacket = {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
};

export type StartedEngine = {
  /** The engine endpoint, http://127.0.0.1:<port>/engine.io/ (the configured path). */
  url: string;
  /** ws://127.0.0.1:<port>/engine.io/ */
  wsUrl: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  engine: EngineServer;
  /** Every session handed to `connection`, in order. */
  sessions: EngineSession[];
  /** Every onclose call, in order (one per session expected). */
  closes: CloseRecord[];
  /** Messages the default echo handler received. */
  messages: MessageRecord[];
  /** Sids whose onupgrade fired, in order. */
  upgrades: string[];
  /** Resolves with check()'s first non-undefined value, re-checked whenever a session, message or close is recorded. */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, label: string): Promise<T>;
  session(sid: string, timeoutMs?: number): Promise<EngineSession>;
  closeOf(sid: string, timeoutMs?: number): Promise<CloseRecord>;
  /** Resolves once the session's onupgrade fired. */
  upgradeOf(sid: string, timeoutMs?: number): Promise<void>;
  /** Every request the engine was handed, in order (recorded once its handler returned). */
  requests: RequestRecord[];
  /** Resolves with the first request recorded from now on that matches (a sentinel: the server has it). */
  requestArrived(match: (record: RequestRecord) => boolean, timeoutMs?: number): Promise<RequestRecord>;
  /** A GET for the session, resolved (with the pending response) once the server holds it. */
  heldGet(sid: string, init?: RequestInit): Promise<{ response: Promise<HttpResult> }>;
  /** Polling handshake (GET ?EIO=4&transport=polling&<query>). Throws unless it answers an open packet. */
  handshake(query?: string): Promise<{ sid: string; open: OpenPacket; keys: string[]; response: HttpResult }>;
  pollUrl(sid: string): string;
  get(sid: string, init?: RequestInit): Promise<HttpResult>;
  post(sid: string, body: string | Uint8Array, headers?: Record<string, string>): Promise<HttpResult>;
  /** WebSocket to the engine path: `query` is appended after `?EIO=4&transport=websocket`. */
  connectWs(query?: string): WsClient;
  /** Direct WebSocket session: waits for the open packet. */
  openWsSession(): Promise<{ ws: WsClient; sid: string; open: OpenPacket; keys: string[] }>;
  [Symbol.asyncDispose](): Promise<void>;
};

export type ConnectionHandler = (session: EngineSession) => void;

/** Bun.serve settings a test may change: `idleTimeout` (seconds, Bun's default 10). */
export type ServeOptions = { idleTimeout?: number };

export async function startEngineServer(
  options: Partial<EngineOptions> = SUITE_OPTIONS,
  connection?: ConnectionHandler,
  fallbackFetch?: (request: Request) => Response | Promise<Response>,
  serveOptions: ServeOptions = {},
): Promise<StartedEngine> {
  const sessions: EngineSession[] = [];
  const closes: CloseRecord[] = [];
  const messages: MessageRecord[] = [];
  const upgrades: string[] = [];
  const requests: RequestRecord[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const echo: ConnectionHandler = (session) => {
    session.onmessage = (data) => {
      messages.push({ sid: session.id, data });
      notify();
      session.send(data);
    };
  };

  const engine = new EngineServer(options, {
    connection(session) {
      sessions.push(session);
      (connection ?? echo)(session);
      // The handler's own callbacks still run: these wrappers only record.
      const own = session.onclose;
      session.onclose = (reason, description) => {
        closes.push({ sid: session.id, reason, description });
        notify();
        own?.(reason, description);
      };
      const ownUpgrade = session.onupgrade;
      session.onupgrade = () => {
        upgrades.push(session.id);
        notify();
        ownUpgrade?.();
      };
      notify();
    },
  });
  const handler = fallbackFetch ? bunEngineHandler(engine, fallbackFetch) : bunEngineHandler(engine);
  const recordingFetch: typeof handler.fetch = (request, bunServer) => {
    const result = handler.fetch(request, bunServer);
    // Recorded after the engine ran up to its first await: a held GET is held, a POST being read is marked.
    requests.push({ method: request.method, sid: new URL(request.url).searchParams.get("sid") });
    notify();
    return result;
  };
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...serveOptions, ...handler, fetch: recordingFetch });
  const port = server.port ?? 0;
  const origin = `http://127.0.0.1:${port}`;
  const path = (options.path ?? "/engine.io/").endsWith("/") ? (options.path ?? "/engine.io/") : `${options.path}/`;
  const url = `${origin}${path}`;
  const wsUrl = `ws://127.0.0.1:${port}${path}`;

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, label: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}`));
      }, timeoutMs);
      listeners.add(listener);
    });

  const pollUrl = (sid: string) => `${url}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;

  let disposed = false;
  const started: StartedEngine = {
    url,
    wsUrl,
    origin,
    port,
    engine,
    sessions,
    closes,
    messages,
    upgrades,
    waitFor,
    session: (sid, timeoutMs = 1000) => waitFor(() => sessions.find((s) => s.id === sid), timeoutMs, `session ${sid}`),
    closeOf: (sid, timeoutMs = 1000) => waitFor(() => closes.find((c) => c.sid === sid), timeoutMs, `close of ${sid}`),
    upgradeOf: (sid, timeoutMs = 1000) =>
      waitFor(() => (upgrades.includes(sid) ? sid : undefined), timeoutMs, `upgrade of ${sid}`).then(() => {}),
    requests,
    requestArrived(match, timeoutMs = 2000) {
      const from = requests.length;
      return waitFor(() => requests.slice(from).find(match), timeoutMs, "a request at the engine");
    },
    async heldGet(sid, init) {
      const session = await started.session(sid);
      const arrived = started.requestArrived((r) => r.method === "GET" && r.sid === sid);
      const response = request(pollUrl(sid), init);
      await arrived;
      // A held GET is what makes a polling session writable; one answered at once does not.
      if (!session.writable) throw new Error(`the GET of ${sid} was not held (answered at once?)`);
      return { response };
    },
    async handshake(query = "") {
      const response = await request(`${url}?EIO=4&transport=polling${query ? `&${query}` : ""}`);
      if (response.status !== 200) throw new Error(`handshake answered ${response.status}: ${response.body}`);
      const { open, keys } = parseOpenPacket(response.body);
      return { sid: open.sid, open, keys, response };
    },
    pollUrl,
    get: (sid, init) => request(pollUrl(sid), init),
    post: (sid, body, headers = { "content-type": "text/plain;charset=UTF-8" }) =>
      request(pollUrl(sid), { method: "POST", body, headers }),
    connectWs: (query = "") => new WsClient(`${wsUrl}?EIO=4&transport=websocket${query ? `&${query}` : ""}`),
    async openWsSession() {
      const ws = new WsClient(`${wsUrl}?EIO=4&transport=websocket`);
      if (!(await ws.opened)) throw new Error(`websocket handshake refused (close ${await ws.closed})`);
      const frame = await ws.nextText(1000);
      const { open, keys } = parseOpenPacket(frame);
      return { ws, sid: open.sid, open, keys };
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      try {
        await engine.close();
      } finally {
        await server.stop(true);
      }
    },
  };
  return started;
}

/** Parses `0{...}` into the open packet, checking every field's type; keys are returned for exact-key checks. */
export function parseOpenPacket(text: string): { open: OpenPacket; keys: string[] } {
  if (!text.startsWith("0")) throw new Error(`not an open packet: ${JSON.stringify(text.slice(0, 200))}`);
  const parsed: unknown = JSON.parse(text.slice(1));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("open packet is not an object");
  const record = parsed as Record<string, unknown>;
  const { sid, upgrades, pingInterval, pingTimeout, maxPayload } = record;
  if (
    typeof sid !== "string" ||
    !Array.isArray(upgrades) ||
    !upgrades.every((u): u is string => typeof u === "string") ||
    typeof pingInterval !== "number" ||
    typeof pingTimeout !== "number" ||
    typeof maxPayload !== "number"
  ) {
    throw new Error(`malformed open packet: ${text}`);
  }
  return { open: { sid, upgrades, pingInterval, pingTimeout, maxPayload }, keys: Object.keys(record).sort() };
}

export async function request(url: string, init?: RequestInit): Promise<HttpResult> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Splits a polling payload into its packets (binary ones stay as "b<base64>"). */
export function splitPayload(body: string): string[] {
  return body.split(RS);
}

export function errorBody(code: number, message: string): string {
  return JSON.stringify({ code, message });
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket client

export type Frame = string | Uint8Array;

type Waiter = { resolve: (frame: Frame) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> };

/**
 * A WebSocket whose incoming frames are queued, so frames that arrive together (one TCP write) are
 * never lost between two awaits. Binary frames come out as Uint8Array.
 */
export class WsClient {
  readonly socket: WebSocket;
  /** true once "open" fired; false when the socket failed or closed before opening. */
  readonly opened: Promise<boolean>;
  /** The close code, once closed (1006 when the handshake failed). */
  readonly closed: Promise<number>;
  closeCode: number | undefined;
  didOpen = false;
  private readonly frames: Frame[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(url: string) {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let settleOpened: (value: boolean) => void = () => {};
    this.opened = new Promise<boolean>((resolve) => {
      settleOpened = resolve;
    });
    let settleClosed: (code: number) => void = () => {};
    this.closed = new Promise<number>((resolve) => {
      settleClosed = resolve;
    });
    socket.addEventListener("open", () => {
      this.didOpen = true;
      settleOpened(true);
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      const data: unknown = event.data;
      const frame: Frame =
        typeof data === "string" ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(0);
      const waiter = this.waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
      } else {
        this.frames.push(frame);
      }
    });
    socket.addEventListener("error", () => {
      settleOpened(false);
    });
    socket.addEventListener("close", (event: CloseEvent) => {
      settleOpened(false);
      this.closeCode = event.code;
      settleClosed(event.code);
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`websocket closed (code ${event.code}) while waiting for a frame`));
      }
    });
  }

  get isClosed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Frames received and not yet taken. */
  get buffered(): readonly Frame[] {
    return this.frames;
  }

  /** The next frame (buffered or future); rejects on timeout or when the socket closes first. */
  next(timeoutMs = 1000): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.closeCode !== undefined) {
      return Promise.reject(new Error(`websocket already closed (code ${this.closeCode})`));
    }
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new Error(`no websocket frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  async nextText(timeoutMs = 1000): Promise<string> {
    const frame = await this.next(timeoutMs);
    if (typeof frame !== "string") throw new Error(`expected a text frame, got ${frame.byteLength} binary bytes`);
    return frame;
  }

  async nextBinary(timeoutMs = 1000): Promise<Uint8Array> {
    const frame = await this.next(timeoutMs);
    if (typeof frame === "string") throw new Error(`expected a binary frame, got text ${JSON.stringify(frame)}`);
    return frame;
  }

  /** Resolves with the close code if the socket closes within `timeoutMs`, else rejects. */
  waitClosed(timeoutMs = 1000): Promise<number> {
    return withTimeout(this.closed, timeoutMs, "websocket close");
  }

  send(frame: Frame): void {
    this.socket.send(frame);
  }

  close(code?: number): void {
    if (code === undefined) this.socket.close();
    else this.socket.close(code);
  }
}

let sentinels = 0;

/**
 * A sentinel for the echo server: sends a message and resolves with the frames that came before
 * its echo. The server handles one connection's frames in order, so everything sent earlier has been
 * handled (and answered, or not) by then: a bounded negative check without a clock.
 */
export async function echoBarrier(ws: WsClient, timeoutMs = 1000): Promise<Frame[]> {
  const token = `4sentinel-${++sentinels}`;
  ws.send(token);
  const before: Frame[] = [];
  for (;;) {
    const frame = await ws.next(timeoutMs);
    if (frame === token) return before;
    before.push(frame);
  }
}

export function describeFrame(frame: Frame): string {
  return typeof frame === "string" ? JSON.stringify(frame.slice(0, 200)) : `binary[${[...frame.slice(0, 32)].join(",")}]`;
}

// ---------------------------------------------------------------------------------------------
// Timing helpers

export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Re-checks `check` every 10 ms until it returns a value (for state that raises no event); rejects after `timeoutMs`. */
export async function until<T>(check: () => T | undefined, timeoutMs: number, label: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw TCP requests (for upgrade requests whose HTTP error response a WebSocket client cannot show)

export type RawResponse = { status: number; headers: Record<string, string>; body: string; raw: string };

/**
 * Writes `payload` to a fresh TCP connection and collects the response: until the headers and
 * Content-Length bytes are in (a 101's head is all of it: WebSocket frames follow), the peer
 * closes, or `timeoutMs` passes. status 0 means no response.
 */
export function rawRequest(port: number, payload: string | Uint8Array, timeoutMs = 2000): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (end: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      end();
      resolve(parseRawResponse(Buffer.concat(chunks).toString("latin1")));
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(payload);
          timer = setTimeout(() => finish(() => socket.end()), timeoutMs);
        },
        data(socket, data) {
          chunks.push(new Uint8Array(data));
          const parsed = parseRawResponse(Buffer.concat(chunks).toString("latin1"));
          const length = Number(parsed.headers["content-length"] ?? Number.NaN);
          const complete = parsed.status === 101 || (Number.isFinite(length) && Buffer.byteLength(parsed.body, "latin1") >= length);
          if (parsed.status !== 0 && complete) {
            finish(() => socket.end());
          }
        },
        close() {
          finish(() => {});
        },
        error() {
          finish(() => {});
        },
      },
    }).catch((error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
  });
}

function parseRawResponse(raw: string): RawResponse {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd === -1) return { status: 0, headers: {}, body: "", raw };
  const lines = raw.slice(0, headerEnd).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: raw.slice(headerEnd + 4), raw };
}

/** Writes `payload` to a fresh TCP connection and resets it at once (no graceful FIN/response wait). */
export async function sendAndReset(port: number, payload: string | Uint8Array): Promise<void> {
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data() {}, error() {} },
  });
  socket.write(payload);
  socket.terminate();
}

/** A WebSocket upgrade request for `pathAndQuery`, as raw HTTP/1.1 text. */
export function upgradeRequest(port: number, pathAndQuery: string, extraHeaders = ""): string {
  return (
    `GET ${pathAndQuery} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${port}\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n" +
    extraHeaders +
    "\r\n"
  );
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness for fuzzing

/** mulberry32: a small seeded PRNG, so a failing fuzz case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
