// Socket.IO test support: our Server on Bun.serve (port 0) with the socket.io-protocol suite's reference
// fixture (protocol.md §0.3, plus socketioxide's "emit-with-ack" handler from §0.5), raw WebSocket and
// long-polling clients that buffer every frame, and the checks most protocol tests end with.
// `await using s = await startSioServer()` closes the Socket.IO server and stops Bun.serve.
import { Server, type ServerOptions, type Socket } from "../../src/socketio/index.ts";
import {
  describeFrame,
  parseOpenPacket,
  request,
  RS,
  sleep,
  WsClient,
  type Frame,
  type HttpResult,
  type OpenPacket,
  withTimeout,
} from "./engine-server.ts";

/** The official socket.io-protocol suite's server: ping 300/200, maxPayload 1e6, connectTimeout 1000, CORS `*`. */
export const SIO_SUITE_OPTIONS: Partial<ServerOptions> = {
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
};

/**
 * For cases where the heartbeat or the connect timeout would only add noise, or could close a session by
 * itself (a close test would then pass without the input under test): no ping for 10 s, and 10 s to join.
 */
export const QUIET_SIO_OPTIONS: Partial<ServerOptions> = { pingInterval: 10_000, pingTimeout: 5_000, connectTimeout: 10_000 };

type AnyListener = (...args: unknown[]) => void;

/**
 * The reference fixture (protocol.md §0.3) on "/" and "/custom" (socketioxide registers the same handlers
 * on both namespaces): emit "auth" with the CONNECT payload; "message" → "message-back" with the same
 * args; "message-with-ack" → ack with the same args; "emit-with-ack" → the server emits "emit-with-ack"
 * with the same args expecting an ack, then emits "emit-with-ack" again with the client's ack data.
 */
export function referenceFixture(io: Server): void {
  const onConnection = (socket: Socket) => {
    socket.emit("auth", socket.handshake.auth);
    socket.on("message", (...args: unknown[]) => {
      socket.emit("message-back", ...args);
    });
    socket.on("message-with-ack", (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === "function") (ack as AnyListener)(...args);
    });
    socket.on("emit-with-ack", (...args: unknown[]) => {
      socket.emit("emit-with-ack", ...args, (...response: unknown[]) => {
        socket.emit("emit-with-ack", ...response);
      });
    });
  };
  io.on("connection", onConnection);
  io.of("/custom").on("connection", onConnection);
}

export type WsSession = { ws: WsClient; sid: string; open: OpenPacket; keys: string[] };

/** A raw WebSocket client after a Socket.IO CONNECT succeeded on `nsp`. */
export type SioConnection = {
  ws: WsClient;
  /** The Engine.IO session id (from the open packet). */
  engineSid: string;
  /** The Socket.IO socket id (from the CONNECT reply). */
  socketId: string;
  /** The CONNECT reply's JSON payload. */
  reply: Record<string, unknown>;
};

export type ConnectOptions = {
  /** Namespace to CONNECT to, "/" by default. */
  nsp?: string;
  /** CONNECT payload (JSON object); none by default. */
  auth?: Record<string, unknown>;
  /** Extra query for the WebSocket URL. */
  query?: string;
};

export type StartedSio = {
  io: Server;
  /** http://127.0.0.1:<port>/socket.io/ */
  url: string;
  /** ws://127.0.0.1:<port>/socket.io/ */
  wsUrl: string;
  port: number;
  pollUrl(sid: string): string;
  /** Polling handshake (GET ?EIO=4&transport=polling&<query>). Throws unless it answers an open packet. */
  handshake(query?: string, headers?: Record<string, string>): Promise<{ sid: string; open: OpenPacket; keys: string[] }>;
  get(sid: string): Promise<HttpResult>;
  post(sid: string, body: string): Promise<HttpResult>;
  /** WebSocket to the Socket.IO path: `query` is appended after `?EIO=4&transport=websocket`. */
  connectWs(query?: string): WsClient;
  /** Direct WebSocket session: waits for the open packet. */
  openWs(query?: string): Promise<WsSession>;
  /** openWs, then CONNECT to a namespace and read the CONNECT reply (pings are answered and skipped). */
  connect(options?: ConnectOptions): Promise<SioConnection>;
  /** Polling handshake wrapped in a buffering PollingClient. */
  openPolling(query?: string): Promise<PollingClient>;
  /** A GET for the session, resolved (with the pending response) once the engine has it (held unless packets wait). */
  heldGet(sid: string): Promise<{ response: Promise<HttpResult> }>;
  /** A fresh client connects to "/", gets `40{"sid"}` + `42["auth",{}]` and its message is echoed (needs the reference fixture). */
  expectHealthy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Starts `new Server({...SIO_SUITE_OPTIONS, ...options})` behind `Bun.serve({port: 0, hostname: "127.0.0.1",
 * ...io.handler()})`. `setup` replaces the reference fixture (call `referenceFixture(io)` in it to keep it).
 */
export async function startSioServer(
  options: Partial<ServerOptions> = {},
  setup: (io: Server) => void = referenceFixture,
): Promise<StartedSio> {
  const io = new Server({ ...SIO_SUITE_OPTIONS, ...options });
  setup(io);
  const handler = io.handler();
  // GETs the engine was handed (recorded once its handler returned: a long-poll is held by then).
  const arrivals: { sid: string; arrived: () => void }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    ...handler,
    fetch(request, bunServer) {
      const result = handler.fetch(request, bunServer);
      const sid = request.method === "GET" ? new URL(request.url).searchParams.get("sid") : null;
      const index = arrivals.findIndex((a) => a.sid === sid);
      if (index >= 0) arrivals.splice(index, 1)[0]?.arrived();
      return result;
    },
  });
  const port = server.port ?? 0;
  const url = `http://127.0.0.1:${port}/socket.io/`;
  const wsUrl = `ws://127.0.0.1:${port}/socket.io/`;
  const pollUrl = (sid: string) => `${url}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
  const get = (sid: string) => request(pollUrl(sid));
  const post = (sid: string, body: string) =>
    request(pollUrl(sid), { method: "POST", body, headers: { "content-type": "text/plain;charset=UTF-8" } });
  const connectWs = (query = "") => new WsClient(`${wsUrl}?EIO=4&transport=websocket${query ? `&${query}` : ""}`);

  const openWs = async (query = ""): Promise<WsSession> => {
    const ws = connectWs(query);
    if (!(await ws.opened)) throw new Error(`websocket handshake refused (close ${await ws.closed})`);
    const { open, keys } = parseOpenPacket(await ws.nextText(1000));
    return { ws, sid: open.sid, open, keys };
  };

  const handshake = async (query = "", headers: Record<string, string> = {}) => {
    const response = await request(`${url}?EIO=4&transport=polling${query ? `&${query}` : ""}`, { headers });
    if (response.status !== 200) throw new Error(`handshake answered ${response.status}: ${response.body}`);
    const { open, keys } = parseOpenPacket(response.body);
    return { sid: open.sid, open, keys };
  };

  let disposed = false;
  const started: StartedSio = {
    io,
    url,
    wsUrl,
    port,
    pollUrl,
    handshake,
    get,
    post,
    connectWs,
    openWs,
    async connect(connectOptions = {}) {
      const nsp = connectOptions.nsp ?? "/";
      const { ws, sid } = await openWs(connectOptions.query ?? "");
      ws.send(connectFrame(nsp, connectOptions.auth));
      const frame = await nextNonPing(ws, 1000);
      const reply = parseConnectReply(frame, nsp);
      return { ws, engineSid: sid, socketId: reply.sid, reply: reply.payload };
    },
    async openPolling(query = "") {
      const { sid } = await handshake(query);
      return new PollingClient(get, post, sid);
    },
    async heldGet(sid) {
      const arrived = new Promise<void>((resolve) => arrivals.push({ sid, arrived: resolve }));
      const response = get(sid);
      await withTimeout(arrived, 2000, `the GET of ${sid} at the engine`);
      return { response };
    },
    async expectHealthy() {
      const { ws, socketId } = await started.connect();
      try {
        if (typeof socketId !== "string" || socketId.length === 0) throw new Error("no socket id");
        const auth = await nextNonPing(ws, 1000);
        if (auth !== '42["auth",{}]') throw new Error(`expected the auth event, got ${describeFrame(auth)}`);
        ws.send('42["message","still alive"]');
        const echo = await nextNonPing(ws, 1000);
        if (echo !== '42["message-back","still alive"]') throw new Error(`expected the echo, got ${describeFrame(echo)}`);
      } finally {
        ws.close();
      }
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      try {
        await io.close();
      } finally {
        await server.stop(true);
      }
    },
  };
  return started;
}

/** The CONNECT frame (`40`, `40/nsp,`, `40{…}`, `40/nsp,{…}`) as sent in one Engine.IO message. */
export function connectFrame(nsp = "/", auth?: Record<string, unknown>): string {
  return `40${nsp === "/" ? "" : `${nsp},`}${auth === undefined ? "" : JSON.stringify(auth)}`;
}

/** Parses `40[/nsp,]{"sid":…}`; throws with the frame otherwise (e.g. a CONNECT_ERROR). */
export function parseConnectReply(frame: Frame, nsp = "/"): { sid: string; payload: Record<string, unknown>; keys: string[] } {
  const prefix = `40${nsp === "/" ? "" : `${nsp},`}`;
  if (typeof frame !== "string" || !frame.startsWith(prefix) || frame[prefix.length] !== "{") {
    throw new Error(`expected a CONNECT reply ${prefix}{…}, got ${describeFrame(frame)}`);
  }
  const parsed: unknown = JSON.parse(frame.slice(prefix.length));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`CONNECT reply is not an object: ${frame}`);
  const payload = parsed as Record<string, unknown>;
  const sid = payload["sid"];
  if (typeof sid !== "string") throw new Error(`CONNECT reply without a string sid: ${frame}`);
  return { sid, payload, keys: Object.keys(payload) };
}

/**
 * The next frame that is not an Engine.IO ping; each ping on the way is answered with a pong (as the
 * official suite's waitForPackets ignores them). Rejects on timeout or close.
 */
export async function nextNonPing(ws: WsClient, timeoutMs = 1000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await ws.next(Math.max(1, deadline - Date.now()));
    if (frame !== "2") return frame;
    if (!ws.isClosed) ws.send("3");
  }
}

/** Answers every ping from now on (frames are still queued): keeps a session alive while a test waits for something else. */
export function autoPong(ws: WsClient): void {
  ws.socket.addEventListener("message", (event: MessageEvent) => {
    if (event.data === "2" && ws.socket.readyState === WebSocket.OPEN) ws.socket.send("3");
  });
}

/**
 * Resolves once the server closes the WebSocket within `timeoutMs`, answering pings meanwhile, so a close
 * by ping timeout can never pass for a close caused by the input under test.
 */
export async function expectWsClosed(ws: WsClient, timeoutMs = 1000): Promise<number> {
  autoPong(ws);
  const result = await Promise.race([ws.closed, sleep(timeoutMs).then(() => undefined)]);
  if (result === undefined) {
    const seen = ws.buffered.filter((f) => f !== "2").map(describeFrame);
    throw new Error(`websocket still open after ${timeoutMs} ms (frames received meanwhile: ${seen.join(", ") || "none"})`);
  }
  return result;
}

let sentinels = 0;

/**
 * The connection is still open and has handled everything sent before: a sentinel message on `nsp`
 * (connected, with the reference fixture's echo) comes back as the next frame that is not a ping.
 * Frames are handled in order, so this replaces "nothing happens within N ms".
 */
export async function expectEchoed(ws: WsClient, nsp = "/", timeoutMs = 1000): Promise<void> {
  const prefix = nsp === "/" ? "42" : `42${nsp},`;
  const text = JSON.stringify(["message", `sentinel-${++sentinels}`]);
  ws.send(`${prefix}${text}`);
  const frame = await nextNonPing(ws, timeoutMs);
  const expected = `${prefix}${text.replace('"message"', '"message-back"')}`;
  if (frame !== expected) throw new Error(`expected the sentinel's echo ${expected}, got ${describeFrame(frame)}`);
}

/**
 * The connection is still open and has handled everything sent before, for a connection not (or no
 * longer) on "/": a CONNECT to "/" is answered, then the reference fixture's auth event arrives.
 */
export async function expectConnectable(ws: WsClient, timeoutMs = 1000): Promise<void> {
  ws.send("40");
  parseConnectReply(await nextNonPing(ws, timeoutMs));
  const auth = await nextNonPing(ws, timeoutMs);
  if (auth !== '42["auth",{}]') throw new Error(`expected the auth event, got ${describeFrame(auth)}`);
}

/** Polls `check` every 10 ms until it returns true; throws with `label` after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Long-polling client

/** Packets of a polling payload as frames: text packets as is ("40{…}", "2"), `b<base64>` as bytes. */
export function decodePollingPayload(body: string): Frame[] {
  if (body.length === 0) return [];
  return body.split(RS).map((packet) => (packet.startsWith("b") ? new Uint8Array(Buffer.from(packet.slice(1), "base64")) : packet));
}

/** Frames as one polling payload: text as is, binary as `b<base64>`, joined by \x1e. */
export function encodePollingPayload(frames: readonly Frame[]): string {
  return frames.map((f) => (typeof f === "string" ? f : `b${Buffer.from(f).toString("base64")}`)).join(RS);
}

/**
 * A long-polling session whose received packets are queued, like WsClient's frames: `next()` issues a
 * GET only when the queue is empty, and never two at once (a second concurrent GET would close the
 * session). A GET that outlives a `next()` timeout stays in flight and is reused by the next call.
 */
export class PollingClient {
  private readonly queue: Frame[] = [];
  private inflight: Promise<void> | undefined;
  /** Status of the first non-200 GET: the session is gone. */
  goneStatus: number | undefined;
  goneBody: string | undefined;

  constructor(
    private readonly getFn: (sid: string) => Promise<HttpResult>,
    private readonly postFn: (sid: string, body: string) => Promise<HttpResult>,
    readonly sid: string,
  ) {}

  /** POSTs the frames as one payload. */
  post(...frames: Frame[]): Promise<HttpResult> {
    return this.postFn(this.sid, encodePollingPayload(frames));
  }

  /** Issues one GET unless one is already in flight; resolves when it answered. */
  poll(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.getFn(this.sid).then(
        (response) => {
          this.inflight = undefined;
          if (response.status === 200) this.queue.push(...decodePollingPayload(response.body));
          else {
            this.goneStatus = response.status;
            this.goneBody = response.body;
          }
        },
        (error: unknown) => {
          this.inflight = undefined;
          throw error;
        },
      );
    }
    return this.inflight;
  }

  /** The next packet (buffered or from the next GETs); rejects on timeout or once a GET is refused. */
  async next(timeoutMs = 1000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.queue.shift();
      if (frame !== undefined) return frame;
      if (this.goneStatus !== undefined) throw new Error(`polling session gone (GET answered ${this.goneStatus} ${this.goneBody ?? ""})`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no polling packet within ${timeoutMs} ms`);
      await Promise.race([this.poll(), sleep(remaining)]);
    }
  }

  /** The next packet that is not a ping; pings on the way are answered with a POSTed pong. */
  async nextNonPing(timeoutMs = 1000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (frame !== "2") return frame;
      await this.postFn(this.sid, "3");
    }
  }

  /**
   * Resolves once a GET is refused (the session is gone) within `timeoutMs`. Pings are answered meanwhile,
   * so a ping timeout cannot pass for the close under test; `1`/`6` packets before the refusal are allowed,
   * any other packet is returned in `seen` for the caller to check.
   */
  async expectClosed(timeoutMs = 1000): Promise<{ status: number; seen: Frame[] }> {
    const deadline = Date.now() + timeoutMs;
    const seen: Frame[] = [];
    for (;;) {
      if (this.goneStatus !== undefined && this.queue.length === 0) return { status: this.goneStatus, seen };
      const frame = this.queue.shift();
      if (frame !== undefined) {
        if (frame === "2") await this.postFn(this.sid, "3");
        else if (frame !== "1" && frame !== "6") seen.push(frame);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`polling session still open after ${timeoutMs} ms (packets meanwhile: ${seen.map(describeFrame).join(", ") || "none"})`);
      }
      await Promise.race([this.poll(), sleep(remaining)]);
    }
  }
}
