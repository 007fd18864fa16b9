// Socket.IO test support for the real socket.io-client: a Server from src/socketio on Bun.serve
// (port 0), clients that are connected before they are handed out, event waiting with timeouts,
// and sentinels for negative checks. `await using h = await startSio(opts)` disconnects every
// client it made, closes the Server and stops Bun.serve.
import { io as ioc, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from "socket.io-client";
import type { FallbackFetch } from "../../src/engine/bun-binding.ts";
import { Server, type ServerOptions, type Socket as ServerSocket } from "../../src/socketio/index.ts";
import { until } from "./engine-server.ts";

export type { ClientSocket };
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/**
 * Pings every 300 ms, so ping-related behaviour shows within a test, but a pong may come 2 s late: on a
 * loaded machine (two cores, other test runs) a 200 ms deadline closed sessions of tests about other things.
 */
export const FAST_HEARTBEAT: Partial<ServerOptions> = { pingInterval: 300, pingTimeout: 2000 };

/** The official suites' 300/200 heartbeat, for the tests about the ping timeout itself. */
export const SHORT_PING_TIMEOUT: Partial<ServerOptions> = { pingInterval: 300, pingTimeout: 200 };

/** Client defaults: a manager of its own, and quick reconnection attempts. */
export const CLIENT_DEFAULTS: ClientOptions = {
  forceNew: true,
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  randomizationFactor: 0,
  timeout: 2000,
};

type AnyListener = (...args: never[]) => void;

/**
 * Anything with on/once/off: socket.io-client sockets, managers and engines, our Server, namespaces
 * and sockets. Their typed signatures (event-name unions, typed listeners) differ too much for one
 * structural type, so they are taken as objects and checked at run time.
 */
export type Listenable = object;

type LooseEmitter = {
  on(event: string, listener: AnyListener): unknown;
  once(event: string, listener: AnyListener): unknown;
  off(event: string, listener?: AnyListener): unknown;
};

function loose(emitter: Listenable): LooseEmitter {
  const candidate = emitter as Partial<Record<"on" | "once" | "off", unknown>>;
  if (typeof candidate.on !== "function" || typeof candidate.once !== "function" || typeof candidate.off !== "function") {
    throw new TypeError("not an event emitter (needs on, once and off)");
  }
  return emitter as LooseEmitter;
}

/** Resolves with the arguments of the next `event`; rejects after timeoutMs. */
export function waitFor<T extends unknown[] = unknown[]>(target: Listenable, event: string, timeoutMs = 2000): Promise<T> {
  const emitter = loose(target);
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: never[]) => {
      clearTimeout(timer);
      resolve(args as unknown as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/**
 * Rejects if `event` fires within ms (a bounded negative check on the clock); resolves otherwise. The
 * library tests use sentinels instead (sentinelFrom, roundTrip, reconnectionControl); still used by the
 * cluster tests, which were not converted.
 */
export function expectNoEvent(target: Listenable, event: string, ms = 200): Promise<void> {
  const emitter = loose(target);
  return new Promise<void>((resolve, reject) => {
    const listener = (...args: never[]) => {
      clearTimeout(timer);
      reject(new Error(`unexpected "${event}" within ${ms} ms: ${safeJson(args)}`));
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      resolve();
    }, ms);
    emitter.once(event, listener);
  });
}

/** Records every emission of `event` (its arguments) from now on. */
export function record(target: Listenable, event: string): unknown[][] {
  const seen: unknown[][] = [];
  loose(target).on(event, (...args: never[]) => {
    seen.push(args);
  });
  return seen;
}

/** Rejects with a labelled error unless the promise settles within ms (shared with the engine tests). */
export { withTimeout } from "./engine-server.ts";

/** Re-checks check() every 10 ms until it returns a value other than undefined (for state without events). */
export { until };

let sentinels = 0;

/** A server-side socket or a namespace/server: anything that emits to clients (checked at run time). */
export type Emitting = object;

function emitterOf(target: Emitting): { emit(event: string, ...args: unknown[]): unknown } {
  const candidate = target as { emit?: unknown };
  if (typeof candidate.emit !== "function") throw new TypeError("not an emitter (needs emit)");
  return target as { emit(event: string, ...args: unknown[]): unknown };
}

/**
 * Server → client sentinel: `from` (a server socket, namespace or broadcast) emits a fresh event
 * and this resolves once `client` got it. Packets reach one client in the order they were sent, so
 * anything sent to `client` before has arrived by then: a bounded negative check without a clock.
 */
export async function sentinelFrom(from: Emitting, client: ClientSocket, timeoutMs = 2000): Promise<void> {
  const event = `sentinel-${++sentinels}`;
  const got = waitFor(client, event, timeoutMs);
  emitterOf(from).emit(event);
  await got;
}

/**
 * Client → server → client sentinel: `client` emits a fresh event that the server socket `socket`
 * acks. Once the answer is in, the server has handled everything the client sent before, and the
 * client has received everything the server sent before the ack.
 */
export async function roundTrip(client: ClientSocket, socket: Listenable, timeoutMs = 2000): Promise<void> {
  const event = `sentinel-${++sentinels}`;
  loose(socket).once(event, ((ack: () => void) => ack()) as AnyListener);
  await client.timeout(timeoutMs).emitWithAck(event);
}

/**
 * A control for "this client does not reconnect": a fresh client on `nsp` whose transport the
 * server then drops. Its reconnection (same delays, timer started later) completes only after any
 * reconnection attempt a client dropped earlier would have made.
 */
export async function reconnectionControl(h: SioHarness, nsp = "/", options: ClientOptions = {}): Promise<void> {
  const namespace = h.io.of(nsp); // created before the control joins it
  const control = await h.connect(nsp, options);
  const server = await until(() => namespace.sockets.get(control.id ?? ""), 1000, "control's server socket");
  const back = waitFor(control, "connect", 3000);
  server.conn.close();
  await back;
  control.disconnect();
}

/** Resolves once the client socket is connected; rejects with the connect_error's message. */
export function connected(socket: ClientSocket, timeoutMs = 2000): Promise<ClientSocket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise<ClientSocket>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error) => {
      cleanup();
      const data = (error as Error & { data?: unknown }).data;
      reject(new Error(`connect_error: ${error.message}${data === undefined ? "" : ` ${JSON.stringify(data)}`}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for connect`));
    }, timeoutMs);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

export type SioHarness = {
  io: Server;
  server: ReturnType<typeof Bun.serve>;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** A client for namespace `nsp` (not awaited; autoConnect unless options say otherwise). Disposed with the harness. */
  client(nsp?: string, options?: ClientOptions): ClientSocket;
  /** A client for namespace `nsp`, resolved once connected. */
  connect(nsp?: string, options?: ClientOptions): Promise<ClientSocket>;
  /** Another namespace on an existing client's manager (same engine connection), resolved once connected. */
  multiplex(client: ClientSocket, nsp: string, options?: Partial<SocketOptions>): Promise<ClientSocket>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** A Server with `options` on Bun.serve (127.0.0.1, port 0); `fallback` gets the other paths. */
export function startSio(options: Partial<ServerOptions> = {}, fallback?: FallbackFetch): SioHarness {
  const io = new Server(options);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler(fallback) });
  const port = server.port ?? 0;
  const origin = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  const client = (nsp = "/", clientOptions: ClientOptions = {}): ClientSocket => {
    const socket = ioc(`${origin}${nsp}`, { ...CLIENT_DEFAULTS, ...clientOptions });
    clients.push(socket);
    return socket;
  };
  let disposed = false;
  return {
    io,
    server,
    port,
    origin,
    client,
    connect: (nsp, clientOptions) => connected(client(nsp, clientOptions)),
    multiplex: (existing, nsp, socketOptions) => {
      const socket = existing.io.socket(nsp, socketOptions);
      clients.push(socket);
      if (!socket.connected && !socket.active) socket.connect();
      return connected(socket);
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      for (const socket of clients) {
        socket.disconnect();
        // A manager shared by several namespaces closes with its last socket; this also stops
        // a manager that is between reconnection attempts.
        socket.io.reconnection(false);
        socket.io._close();
      }
      await io.close();
      await server.stop(true);
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A client connected to namespace `nsp` and the server-side socket it got (their ids checked equal). */
export async function connectPair(h: SioHarness, options: ClientOptions = {}, nsp = "/"): Promise<{ client: ClientSocket; socket: ServerSocket }> {
  const connection = waitFor<[ServerSocket]>(h.io.of(nsp), "connection");
  const client = await h.connect(nsp, options);
  const [socket] = await connection;
  if (socket.id !== client.id) throw new Error(`the server socket ${socket.id} is not the client's ${client.id ?? "(none)"}`);
  return { client, socket };
}

/** The bytes of an ArrayBuffer or a view (Buffer, Uint8Array, …). */
export function bytesOf(value: unknown): number[] {
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
  if (ArrayBuffer.isView(value)) return [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  throw new Error(`not binary: ${Object.prototype.toString.call(value)}`);
}
