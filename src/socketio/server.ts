// The Socket.IO server: socket.io's Server API on our Engine.IO layer. Namespaces (static and
// dynamic), the main namespace's shortcuts, the Bun binding (`handler()`, `listen()`), shutdown.
import { localAdapter, type AdapterFactory } from "../adapter/local-adapter.ts";
import type { Room, SocketId } from "../adapter/types.ts";
import { bunEngineHandler, serveOnBun, type FallbackFetch } from "../engine/bun-binding.ts";
import { EngineServer } from "../engine/server.ts";
import {
  CONSOLE_ERROR_LOGGER,
  type AllowRequest,
  type CorsOptions,
  type EngineSession,
  type ErrorLogger,
  type MessageData,
  type TransportName,
} from "../engine/types.ts";
import type { BroadcastOperator } from "./broadcast-operator.ts";
import { serveClientFile } from "./client-bundle.ts";
import { Client } from "./client.ts";
import { Namespace, type NamespaceMiddleware } from "./namespace.ts";
import { ParentNamespace, type NamespaceMatcher } from "./parent-namespace.ts";
import type { RemoteSocket } from "./remote-socket.ts";
import type { Socket } from "./socket.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

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
};

const DEFAULTS: ServerOptions = {
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
};

type BunServer = ReturnType<typeof serveOnBun>;

export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> {
  readonly options: ServerOptions;
  readonly engine: EngineServer;
  readonly recoveryOptions: ConnectionStateRecoveryOptions | undefined;
  /** The main namespace "/". */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  private readonly namespaces = new Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  private readonly parents: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  private readonly clients = new Set<Client>();
  private bunServer: BunServer | undefined;

  constructor(options?: Partial<ServerOptions>);
  constructor(port: number, options?: Partial<ServerOptions>);
  constructor(portOrOptions?: number | Partial<ServerOptions>, maybeOptions?: Partial<ServerOptions>) {
    const given = typeof portOrOptions === "number" ? (maybeOptions ?? {}) : (portOrOptions ?? {});
    this.options = { ...DEFAULTS, ...definedOnly(given) };
    this.recoveryOptions = resolveRecovery(this.options.connectionStateRecovery);
    this.engine = new EngineServer(
      {
        path: this.options.path,
        pingInterval: this.options.pingInterval,
        pingTimeout: this.options.pingTimeout,
        upgradeTimeout: this.options.upgradeTimeout,
        maxHttpBufferSize: this.options.maxHttpBufferSize,
        transports: this.options.transports,
        allowUpgrades: this.options.allowUpgrades,
        cors: this.options.cors,
        allowRequest: this.options.allowRequest,
        logger: this.options.logger,
        checkWebSocketOrigin: this.options.checkWebSocketOrigin,
      },
      { connection: (session) => this.onconnection(session) },
    );
    this.sockets = this.of("/") as Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    if (typeof portOrOptions === "number") this.listen(portOrOptions);
  }

  private onconnection(session: EngineSession): void {
    this.clients.add(new Client(this as unknown as Server<EventsMap, EventsMap, EventsMap, unknown>, session));
  }

  /** Called by a Client when its Engine.IO session ended. */
  clientClosed(client: Client): void {
    this.clients.delete(client);
  }

  // ---- namespaces -----------------------------------------------------------------------------

  /** A static namespace by name, or a dynamic family (RegExp or function) of them. */
  of(
    name: string | RegExp | NamespaceMatcher,
    onConnection?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name !== "string") {
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, name);
      this.parents.push(parent);
      if (onConnection) parent.on("connection", onConnection);
      return parent;
    }
    const normalized = name.startsWith("/") ? name : `/${name}`;
    let nsp = this.namespaces.get(normalized);
    if (!nsp) {
      nsp = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, normalized);
      this.namespaces.set(normalized, nsp);
    }
    if (onConnection) nsp.on("connection", onConnection);
    return nsp;
  }

  /** The namespace a CONNECT names: a static one, else the first dynamic family that accepts it. */
  resolveNamespace(
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
  ): void {
    const existing = this.namespaces.get(name);
    if (existing) {
      done(existing);
      return;
    }
    const tryParent = (index: number): void => {
      const parent = this.parents[index];
      if (!parent) {
        done(undefined);
        return;
      }
      parent.accepts(name, auth, (accepted) => {
        if (!accepted) {
          tryParent(index + 1);
          return;
        }
        // Another CONNECT may have created it meanwhile.
        const child = this.namespaces.get(name) ?? parent.createChild(name);
        this.namespaces.set(name, child);
        done(child);
      });
    };
    tryParent(0);
  }

  /** Called when a namespace lost its last socket: dynamic children may be dropped then. */
  namespaceEmptied(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (!this.options.cleanupEmptyChildNamespaces || nsp.sockets.size > 0) return;
    for (const parent of this.parents) {
      if (parent.removeChild(nsp)) {
        this.namespaces.delete(nsp.name);
        nsp.adapter.close();
        return;
      }
    }
  }

  // ---- main namespace shortcuts ---------------------------------------------------------------

  on(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this {
    this.sockets.on(event, listener);
    return this;
  }
  once(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this {
    this.sockets.once(event, listener);
    return this;
  }
  off(event: "connection" | "connect", listener?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this {
    this.sockets.off(event, listener);
    return this;
  }
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.timeout(ms);
  }
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(event, ...args);
  }
  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.emitWithAck(event, ...args);
  }
  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }
  write(...args: unknown[]): this {
    return this.send(...args);
  }
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }
  socketsJoin(room: Room | readonly Room[]): void {
    this.sockets.socketsJoin(room);
  }
  socketsLeave(room: Room | readonly Room[]): void {
    this.sockets.socketsLeave(room);
  }
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(event: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    return this.sockets.serverSideEmit(event, ...args);
  }
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(event: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(event, ...args);
  }

  /** An error caught in application code (a handler, middleware or callback that threw). */
  reportError(error: unknown, context: string): void {
    this.options.logger.error(`socket.io: error in handler for "${context}"`, { error });
  }

  /** Engine.IO fan-out, used by the adapters. */
  publish(topic: string, messages: readonly MessageData[], except?: EngineSession): void {
    this.engine.publish(topic, messages, except);
  }

  // ---- Bun binding ----------------------------------------------------------------------------

  /** `Bun.serve({ ...io.handler(fallback) })`: Socket.IO on its path, everything else to `fallback`. */
  handler(fallback?: FallbackFetch): ReturnType<typeof bunEngineHandler> {
    const clientPath = this.options.path.endsWith("/") ? this.options.path : `${this.options.path}/`;
    const serveClient = this.options.serveClient;
    const withClient: FallbackFetch | undefined =
      serveClient || fallback
        ? (request, server) => {
            // HEAD answers like GET; Bun sends its headers (Content-Length included) without the body.
            if (serveClient && (request.method === "GET" || request.method === "HEAD")) {
              const response = serveClientFile(request, clientPath);
              if (response) return response;
            }
            return fallback ? fallback(request, server) : new Response("Not Found", { status: 404 });
          }
        : undefined;
    return bunEngineHandler(this.engine, withClient);
  }

  /** Starts a Bun server on `port` serving only Socket.IO (and the client bundle). */
  listen(port: number, hostname?: string): BunServer {
    this.bunServer = serveOnBun(this.handler(), port, hostname);
    return this.bunServer;
  }

  /** Disconnects every socket ("server shutting down"), closes the engine and a server from listen(). */
  async close(): Promise<void> {
    for (const client of [...this.clients]) client.closeWith("server shutting down");
    this.engine.close();
    for (const nsp of this.namespaces.values()) nsp.adapter.close();
    if (this.bunServer) {
      const server = this.bunServer;
      this.bunServer = undefined;
      await server.stop(true);
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveRecovery(option: ServerOptions["connectionStateRecovery"]): ConnectionStateRecoveryOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const given = option === true ? {} : option;
  return { maxDisconnectionDuration: given.maxDisconnectionDuration ?? 120_000, skipMiddlewares: given.skipMiddlewares ?? true };
}
