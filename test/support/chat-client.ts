// End-to-end support for the StudyConnect wire API: the whole app on port 0, fresh users registered
// and logged in over REST, real socket.io-client sockets with their tokens, acks, event waits and
// sentinels. `await using chat = await startChat()` disconnects every socket and stops the server.
import { expect } from "bun:test";
import { io as ioc, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { GatewaySocket } from "../../src/gateway/index.ts";
import { registerUser, TEST_PASSWORD, uniqueEmail } from "./chat.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.ts";
import { connected as connectedWithin } from "./sio-client.ts";

export type ClientSocket = Socket;
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** A signed-up account: its id, names and the token its login answered. */
export type ChatUser = { id: string; email: string; token: string; firstName: string; lastName: string };

export type AckError = { code: string; message: string };
export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: AckError };

export type RestReply<T = unknown> = { status: number; body: { success: boolean; data: T; message?: string; error?: string } };

export const ACK_CODES = ["INVALID", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"] as const;

/**
 * No reconnection: a connection the server drops must show as a test failure, never be silently
 * replaced by a new one. A manager of its own per socket, so closing one tab closes only that tab.
 * WebSocket from the start: these tests are about the chat, and the stock client's polling handshake
 * and upgrade cost 2.5 times the CPU per connect (12 ms against 5), the suite's scarcest resource. The
 * transports have tests of their own (test/engine, test/socketio, the browser tests, and the chat
 * between polling-only and WebSocket-only clients in test/gateway/e2e-messages.test.ts).
 */
export const CHAT_CLIENT_DEFAULTS: ClientOptions = { forceNew: true, reconnection: false, timeout: 3000, transports: ["websocket"] };

export type ChatHarness = {
  server: TestServer;
  url: string;
  /** JSON request to the REST API; `token` becomes `Authorization: Bearer`. */
  rest<T = unknown>(method: string, path: string, token?: string, body?: unknown): Promise<RestReply<T>>;
  /** Registers a fresh account (unique email) and logs it in over REST. */
  user(firstName?: string, lastName?: string): Promise<ChatUser>;
  /** A socket for `user` (or a raw token), resolved once connected; rejects with the connect_error. */
  connect(who: ChatUser | string, options?: ClientOptions): Promise<ClientSocket>;
  /**
   * A socket for `user` (or a raw token) that is still connecting: listeners attached in the same
   * tick see everything the server sends after CONNECT. Await `connected(socket)` next.
   */
  socket(who: ChatUser | string, options?: ClientOptions): ClientSocket;
  /** A socket with exactly this handshake `auth` (undefined: none), resolved with its connect_error. */
  connectError(auth: Record<string, unknown> | undefined, options?: ClientOptions): Promise<ConnectError>;
  /** `POST /api/rooms` as `owner`; answers the created room. */
  createRoom(owner: ChatUser, body?: { name?: string; description?: string; isPublic?: boolean }): Promise<WireRoom>;
  [Symbol.asyncDispose](): Promise<void>;
};

export type WireRoom = { id: string; name: string; description: string; isPublic: boolean; createdBy: string };

export type ConnectError = { message: string; data: unknown; elapsedMs: number };

export async function startChat(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<ChatHarness> {
  const server = await startTestServer(env, options);
  const sockets: ClientSocket[] = [];

  const rest = async <T>(method: string, path: string, token?: string, body?: unknown): Promise<RestReply<T>> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: RestReply<T>["body"];
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: response.status, body: parsed };
  };

  const open = (auth: Record<string, unknown> | undefined, options: ClientOptions): ClientSocket => {
    const socket = ioc(server.url, { ...CHAT_CLIENT_DEFAULTS, ...(auth === undefined ? {} : { auth }), ...options });
    sockets.push(socket);
    return socket;
  };

  let disposed = false;
  const harness: ChatHarness = {
    server,
    url: server.url,
    rest,

    async user(firstName = "Ada", lastName = "Tester") {
      const email = uniqueEmail(firstName.toLowerCase());
      const registered = await rest<{ token: string; user: { id: string } }>("POST", "/api/auth/register", undefined, {
        email,
        password: TEST_PASSWORD,
        firstName,
        lastName,
      });
      if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
      // Registration answers with a token already (login has tests of its own in test/http).
      return { id: registered.body.data.user.id, email, token: registered.body.data.token, firstName, lastName };
    },

    socket(who, options = {}) {
      return open({ token: typeof who === "string" ? who : who.token }, options);
    },

    connect(who, options = {}) {
      return connected(harness.socket(who, options));
    },

    connectError(auth, options = {}) {
      const started = performance.now();
      const socket = open(auth, options);
      return new Promise<ConnectError>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("timed out after 3000 ms waiting for connect_error")), 3000);
        socket.once("connect", () => {
          clearTimeout(timer);
          reject(new Error(`connected although a connect_error was expected (auth ${safeJson(auth)})`));
        });
        socket.once("connect_error", (error: Error) => {
          clearTimeout(timer);
          resolve({ message: error.message, data: (error as Error & { data?: unknown }).data, elapsedMs: performance.now() - started });
        });
      });
    },

    async createRoom(owner, body = {}) {
      const reply = await rest<WireRoom>("POST", "/api/rooms", owner.token, { name: "Study room", isPublic: true, ...body });
      if (reply.status !== 201) throw new Error(`POST /api/rooms answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return reply.body.data;
    },

    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      for (const socket of sockets) socket.disconnect();
      await server.close();
    },
  };
  return harness;
}

// ---------------------------------------------------------------------------------------------
// Events

/** Resolves once the socket is connected; rejects with the connect_error's message and data. */
export function connected(socket: ClientSocket, ms = 3000): Promise<ClientSocket> {
  return connectedWithin(socket, ms);
}

export type Where<T> = (payload: T) => boolean;

/** Resolves with the first payload of the next `event` (matching `where`, if given); rejects after `ms`. */
export function waitFor<T = unknown>(socket: ClientSocket, event: string, ms = 2000, where?: Where<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (payload: T) => {
      if (where && !where(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"${where ? " (matching)" : ""}`));
    }, ms);
    socket.on(event, listener);
  });
}

/** Every payload of `event` from now on, in arrival order. */
export function record<T = unknown>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => {
    seen.push(payload);
  });
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Acks

/**
 * Emits `event` with `args` and an ack callback; resolves with the ack, checked to be exactly the
 * wire shape `{ok:true, data}` / `{ok:false, error:{code, message}}`. Rejects when none comes in `ms`.
 */
export async function emitAck<T = unknown>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return emitAckWithin<T>(socket, 2000, event, ...args);
}

export async function emitAckWithin<T = unknown>(socket: ClientSocket, ms: number, event: string, ...args: unknown[]): Promise<Ack<T>> {
  let response: unknown;
  try {
    response = await socket.timeout(ms).emitWithAck(event, ...args);
  } catch (error) {
    throw new Error(`no ack for "${event}" ${safeJson(args).slice(0, 200)} within ${ms} ms (${String(error)})`);
  }
  return checkAckShape<T>(response, event);
}

function checkAckShape<T>(response: unknown, event: string): Ack<T> {
  const fail = (why: string): never => {
    throw new Error(`ack of "${event}" is not {ok, data}/{ok, error}: ${why}: ${safeJson(response)}`);
  };
  if (typeof response !== "object" || response === null || Array.isArray(response)) return fail("not an object");
  const record = response as Record<string, unknown>;
  if (record.ok === true) {
    if (!("data" in record)) return fail("ok without data");
    return { ok: true, data: record.data as T };
  }
  if (record.ok !== false) return fail("ok is not a boolean");
  const error = record.error;
  if (typeof error !== "object" || error === null) return fail("error is not an object");
  const { code, message } = error as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") return fail("error without string code and message");
  return { ok: false, error: { code, message } };
}

/** The ack's data; fails the test (with the error) if it is an error ack. */
export function expectOk<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`expected an ok ack, got ${safeJson(ack)}`);
  return ack.data;
}

// What an error message must never show a client: stack frames, source paths, SQL, driver names.
const INTERNALS = /\bat \S+ \(|\.ts:\d|\.js:\d|node_modules|\bselect\b|\binsert\b|\bupdate\b.*\bset\b|drizzle|postgres|pglite|sqlstate|violates|TypeError|ReferenceError|SyntaxError|Cannot read|undefined is not|is not a function|\[object Object\]/i;

/** An error ack with `code` (one of several when given a list) and a short message free of internals. */
export function expectAckError(ack: Ack<unknown>, code: string | readonly string[]): AckError {
  if (ack.ok) throw new Error(`expected an error ack (${String(code)}), got ${safeJson(ack)}`);
  const codes = typeof code === "string" ? [code] : code;
  expect(codes).toContain(ack.error.code);
  expectNoInternals(ack.error.message);
  return ack.error;
}

export function expectNoInternals(message: string): void {
  expect(message.length).toBeGreaterThan(0);
  expect(message.length).toBeLessThan(300);
  expect(message).not.toMatch(INTERNALS);
}

/** The stored message an ok ack carries: the data itself, or a `message` field of it. */
export function ackedMessage<M extends { id: unknown }>(data: unknown): M {
  if (typeof data === "object" && data !== null) {
    const record = data as Record<string, unknown>;
    if ("id" in record) return record as M;
    const inner = record.message;
    if (typeof inner === "object" && inner !== null && "id" in inner) return inner as M;
  }
  throw new Error(`ack data carries no message: ${safeJson(data)}`);
}

export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A well-formed uuid that no row has. */
export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

// ---------------------------------------------------------------------------------------------
// Sentinels: "nothing arrives" is checked up to a later event the server must send, never up to a
// clock. The server writes one socket's frames in the order it sends them.

// An event no handler takes: the gateway answers it at once with INVALID and relays it nowhere.
const BARRIER_EVENT = "test:barrier";

/**
 * Resolves once `socket` has received everything the server sent it before this call: an acked
 * round trip of an unknown event, whose ack is written after those frames. Await the action first
 * (its ack, its REST answer): what it sends to others is sent before its answer.
 */
export async function barrier(socket: ClientSocket, ms = 2000): Promise<void> {
  const ack = await emitAckWithin(socket, ms, BARRIER_EVENT);
  if (ack.ok || ack.error.code !== "INVALID") throw new Error(`barrier: an unknown event answered ${safeJson(ack)}, not INVALID`);
}

export type Quiet = {
  /**
   * Fails if a matching event arrived between expectNone() and `sentinel`: by default a barrier on
   * the same socket, or a later event the server must send after the one that must not come.
   */
  check(sentinel?: Promise<unknown>): Promise<void>;
};

/** A negative check: listens from now on; `check()` bounds it with a sentinel (see Quiet). */
export function expectNone<T = unknown>(socket: ClientSocket, event: string, where?: Where<T>): Quiet {
  const unexpected: T[] = [];
  const listener = (payload: T) => {
    if (!where || where(payload)) unexpected.push(payload);
  };
  socket.on(event, listener);
  return {
    async check(sentinel) {
      try {
        await (sentinel ?? barrier(socket));
      } finally {
        socket.off(event, listener);
      }
      if (unexpected.length > 0) throw new Error(`unexpected "${event}": ${safeJson(unexpected)}`);
    },
  };
}

/** The server's side of a connected client socket (Socket.IO v5 gives both the same id). */
export function serverSocketOf(server: TestServer, socket: ClientSocket): GatewaySocket {
  const found = socket.id === undefined ? undefined : server.app.io.of("/").sockets.get(socket.id);
  if (!found) throw new Error(`no server socket with the id ${String(socket.id)} (not connected?)`);
  return found;
}

/**
 * Resolves with the server's reason once it has run its disconnect handlers for `socket` (the
 * gateway's come first: presence, typing). Call it while the socket is still connected.
 */
export function closedOnServer(server: TestServer, socket: ClientSocket, ms = 2000): Promise<string> {
  const remote = serverSocketOf(server, socket);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for the server to close ${remote.id}`)), ms);
    remote.once("disconnect", (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/**
 * user:status announcements leave in the order they were queued (one announcer; each user's changes
 * written in order, and writes committed in submit order). Connects a fresh user and resolves once
 * every watcher heard it come online: a status change the server queued before has reached them.
 * Call it after the server handled the (dis)connection in question (connected(), closedOnServer()).
 */
export async function statusBarrier(server: TestServer, ...watchers: ClientSocket[]): Promise<void> {
  const { user, token } = await registerUser(server.app.chat, "Sentinel");
  const online = (p: UserStatus) => p.userId === user.id && p.status === "online";
  const heard = watchers.map((watcher) => waitFor<UserStatus>(watcher, "user:status", 3000, online));
  await connectedWithin(server.socket(token, { reconnection: false }), 3000);
  await Promise.all(heard);
}

// ---------------------------------------------------------------------------------------------
// Wire payloads (dates as ISO strings)

export type WireSender = { id: string; firstName: string; lastName: string; avatar?: string | null };
export type WireRoomMessage = { id: number; roomId: string; sender: WireSender; text: string; createdAt: string; clientId?: string | null };
export type WireDirectMessage = { id: number; sender: WireSender; recipientId: string; text: string; createdAt: string; clientId?: string | null };
export type WirePage<M> = { messages: M[]; nextBefore: number | null };
export type WireProfile = { id: string; status: "online" | "offline"; lastActivity: string | null };
export type UserStatus = { userId: string; status: "online" | "offline" };
export type TypingUpdate = { roomId: string; userId: string; firstName: string; isTyping: boolean };
