// The Engine.IO layer's public surface: options (socket.io's names and defaults), the session
// handed up to the layer above, and the handler interface it is handed through.

import { hasOriginAllowList } from "./origin.ts";

export type TransportName = "polling" | "websocket";

export type CorsOptions = {
  /** true: echo the request's origin; a string or list: only those; a function decides per origin. */
  origin?: boolean | string | readonly string[] | RegExp | ((origin: string | undefined) => boolean);
  methods?: readonly string[];
  allowedHeaders?: readonly string[];
  exposedHeaders?: readonly string[];
  credentials?: boolean;
  maxAge?: number;
};

/** What allowRequest and the layer above see of the handshake request (the Request itself is never kept). */
export type HandshakeRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  readonly query: Record<string, string>;
  remoteAddress: string;
  secure: boolean;
};

export type AllowRequest = (
  request: HandshakeRequest,
  callback: (error: string | null | undefined, success: boolean) => void,
) => void;

/** Where the library reports errors it caught (a handler that threw, a payload it could not encode). */
export type ErrorLogger = {
  error(message: string, fields?: Record<string, unknown>): void;
};

/** The default destination: the console's error stream, as socket.io does. */
export const CONSOLE_ERROR_LOGGER: ErrorLogger = {
  error: (message, fields) => (fields === undefined ? console.error(message) : console.error(message, fields)),
};

export type EngineOptions = {
  /** Default "/engine.io/" (socket.io passes "/socket.io/"); matched with or without the trailing slash. */
  path: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  transports: TransportName[];
  allowUpgrades: boolean;
  cors: CorsOptions | undefined;
  allowRequest: AllowRequest | undefined;
  /**
   * Bytes that may wait for one slow consumer (WebSocket send buffer, or packets queued for a
   * polling client that stopped polling) before it is closed. Default: max(1 MiB, 2 × maxHttpBufferSize).
   */
  backpressureLimit: number;
  /** Errors caught in handlers (console.error unless given; an app passes its own logger). */
  logger: ErrorLogger;
  /**
   * Refuse (403) a WebSocket whose Origin header is present but neither allowed by `cors.origin`
   * nor the server's own origin: cross-site WebSocket hijacking. Clients sending no Origin (Node,
   * Python, mobile) are unaffected. Default: on when `cors.origin` is an allow-list (not "*"/true).
   */
  checkWebSocketOrigin: boolean;
  /**
   * The client's address from the socket's peer address and the request (default: the peer). An app
   * behind a reverse proxy resolves X-Forwarded-For here; the result is `handshake.remoteAddress`.
   */
  addressOf: (peer: string, request: Request) => string;
  /** Handshake rate and pending sessions per client address; no limits unless given. */
  addressLimits: AddressLimitOptions | undefined;
};

export type AddressLimitOptions = {
  /** New sessions one address may open per second (token bucket), and at once. */
  handshakesPerSecond: number;
  handshakeBurst: number;
  /** Sessions of one address opened but not yet accepted by the layer above (see EngineSession.established). */
  pendingSessions: number;
};

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, "backpressureLimit" | "checkWebSocketOrigin"> = {
  path: "/engine.io/",
  pingInterval: 25_000,
  pingTimeout: 20_000,
  upgradeTimeout: 10_000,
  maxHttpBufferSize: 1e6,
  transports: ["polling", "websocket"],
  allowUpgrades: true,
  cors: undefined,
  allowRequest: undefined,
  logger: CONSOLE_ERROR_LOGGER,
  addressOf: (peer) => peer,
  addressLimits: undefined,
};

export function resolveEngineOptions(options: Partial<EngineOptions> = {}): EngineOptions {
  const merged = { ...DEFAULT_ENGINE_OPTIONS, ...stripUndefined(options) };
  const path = merged.path.endsWith("/") ? merged.path : `${merged.path}/`;
  return {
    ...merged,
    path,
    backpressureLimit: options.backpressureLimit ?? Math.max(1 << 20, 2 * merged.maxHttpBufferSize),
    checkWebSocketOrigin: options.checkWebSocketOrigin ?? hasOriginAllowList(merged.cors),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** socket.io's names for why a session ended. */
export type CloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close"
  | "server shutting down";

/** A binary or text message packet's payload, as it crosses the Engine.IO layer. */
export type MessageData = string | Uint8Array;

/** One Engine.IO session as the layer above sees it. Set the on* callbacks in `connection`. */
export interface EngineSession {
  readonly id: string;
  readonly transport: TransportName;
  readonly handshake: HandshakeRequest;
  /** Date.now() at the handshake. */
  readonly issued: number;
  readonly closed: boolean;
  /** False while the transport cannot take more without queueing (volatile packets are dropped then). */
  readonly writable: boolean;
  /** Sends message packets; several are written back to back (a binary packet's frames stay adjacent). */
  send(...messages: MessageData[]): void;
  /** send() for messages already in an array (no spread on the hot path). */
  write(messages: readonly MessageData[]): void;
  /** Topics carry broadcasts: WebSocket sessions subscribe natively, polling ones in JS. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  close(reason?: CloseReason): void;
  onmessage: ((data: MessageData) => void) | undefined;
  onclose: ((reason: CloseReason, description?: string) => void) | undefined;
  /** After the transport changed to WebSocket (topics have already been re-subscribed). */
  onupgrade: (() => void) | undefined;
  /**
   * The layer above accepted this client (Socket.IO: a namespace CONNECT succeeded): it no longer
   * counts toward its address's pending sessions. Idempotent.
   */
  established(): void;
  /**
   * Alternative to the three callbacks: one object whose methods get the same calls. A layer that
   * keeps an object per session anyway (Socket.IO's Client) spares a closure per callback.
   */
  handler: SessionHandler | undefined;
}

export interface SessionHandler {
  onmessage(data: MessageData): void;
  onclose(reason: CloseReason, description?: string): void;
  onupgrade?(): void;
}

export interface EngineHandler {
  connection(session: EngineSession): void;
}
