// The Socket.IO server's options: socket.io's names and defaults, plus this library's own limits
// (maxAttachments, maxAuthSize, attachmentTimeout), its logger and the WebSocket origin check.
import { localAdapter, type AdapterFactory } from "../adapter/local-adapter.ts";
import type { BroadcastOptions } from "../adapter/types.ts";
import {
  CONSOLE_ERROR_LOGGER,
  type AddressLimitOptions,
  type AllowRequest,
  type CorsOptions,
  type ErrorLogger,
  type TransportName,
} from "../engine/types.ts";
import { PARSER_OPTIONS, type ParserOption } from "./parser/index.ts";
import type { ServerObserver } from "./observer.ts";

export type ConnectionStateRecoveryOptions = { maxDisconnectionDuration: number; skipMiddlewares: boolean };

export type ServerOptions = {
  path: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  connectTimeout: number;
  transports: TransportName[];
  allowUpgrades: boolean;
  cors: CorsOptions | undefined;
  allowRequest: AllowRequest | undefined;
  serveClient: boolean;
  adapter: AdapterFactory;
  cleanupEmptyChildNamespaces: boolean;
  /** Off unless given; `true` or `{}` takes socket.io's defaults (2 minutes, skip middlewares). */
  connectionStateRecovery: Partial<ConnectionStateRecoveryOptions> | boolean | undefined;
  /** Binary attachments allowed in one packet (CVE-2026-33151). */
  maxAttachments: number;
  /**
   * UTF-8 bytes allowed in a CONNECT packet's auth payload (it is kept for the socket's life). A
   * larger one, or one nested beyond 64 levels, is answered with a CONNECT_ERROR. Default 16 KiB.
   */
  maxAuthSize: number;
  /** Milliseconds a binary packet may wait for its attachments before the session is closed. */
  attachmentTimeout: number;
  /** Where errors caught in application code go (console.error unless given). */
  logger: ErrorLogger;
  /**
   * Refuse WebSockets from origins the CORS option does not allow (nor the server's own): see
   * EngineOptions. Undefined: on exactly when `cors.origin` is an allow-list.
   */
  checkWebSocketOrigin: boolean | undefined;
  /** The client's address from the peer's and the request (behind a proxy: X-Forwarded-For); see EngineOptions. */
  addressOf: (peer: string, request: Request) => string;
  /**
   * Per client address: handshakes per second (and burst), and sessions not yet connected to a
   * namespace. A handshake over either is refused with 429. Default: no limits (as socket.io).
   */
  addressLimits: AddressLimitOptions | undefined;
  /**
   * The wire format: "default" (socket.io's), "msgpack" (socket.io-msgpack-parser's), or "auto" (the
   * default): both, each connection's first packet deciding (text: default; binary: msgpack).
   */
  parser: ParserOption;
  /** Hooks for an app's metrics (events in and out, broadcast sizes); none unless given. */
  observer: ServerObserver | undefined;
  /**
   * Asked before each broadcast (local or from another node) reaches this node's sockets; false
   * drops it here. For an app that re-delivers what a bus outage lost and must not deliver twice.
   */
  admitBroadcast: ((data: readonly unknown[], options: BroadcastOptions) => boolean) | undefined;
};

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  path: "/socket.io",
  pingInterval: 25_000,
  pingTimeout: 20_000,
  upgradeTimeout: 10_000,
  maxHttpBufferSize: 1e6,
  connectTimeout: 45_000,
  transports: ["polling", "websocket"],
  allowUpgrades: true,
  cors: undefined,
  allowRequest: undefined,
  serveClient: true,
  adapter: localAdapter,
  cleanupEmptyChildNamespaces: false,
  connectionStateRecovery: undefined,
  maxAttachments: 10,
  maxAuthSize: 16 * 1024,
  attachmentTimeout: 10_000,
  logger: CONSOLE_ERROR_LOGGER,
  checkWebSocketOrigin: undefined,
  addressOf: (peer) => peer,
  addressLimits: undefined,
  parser: "auto",
  observer: undefined,
  admitBroadcast: undefined,
};

/** The given options over the defaults (an option given as undefined keeps its default). */
export function resolveServerOptions(given: Partial<ServerOptions>): ServerOptions {
  const options = { ...DEFAULT_SERVER_OPTIONS, ...definedOnly(given) };
  // socket.io takes the parser module itself; a stranger porting `parser: require(...)` learns here.
  if (!PARSER_OPTIONS.includes(options.parser)) {
    throw new TypeError(`parser must be one of ${PARSER_OPTIONS.map((p) => `"${p}"`).join(", ")}, got ${String(options.parser)}`);
  }
  return options;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** connectionStateRecovery as given → the settings in force (undefined: off). */
export function resolveRecovery(option: ServerOptions["connectionStateRecovery"]): ConnectionStateRecoveryOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const given = option === true ? {} : option;
  return { maxDisconnectionDuration: given.maxDisconnectionDuration ?? 120_000, skipMiddlewares: given.skipMiddlewares ?? true };
}
