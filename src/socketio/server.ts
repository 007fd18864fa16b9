// The Socket.IO server: socket.io's Server API on our Engine.IO layer. Namespaces (static and
// dynamic), the main namespace's shortcuts, the Bun binding (`handler()`, `listen()`), shutdown.
import type { Room, SocketId } from "../adapter/types.ts";
import { bunEngineHandler, serveOnBun, type FallbackFetch } from "../engine/bun-binding.ts";
import { EngineServer } from "../engine/server.ts";
import type { EngineSession, MessageData } from "../engine/types.ts";
import type { BroadcastOperator } from "./broadcast-operator.ts";
import { serveClientFile } from "./client-bundle.ts";
import { Client } from "./client.ts";
import { Namespace, type NamespaceMiddleware, type ServerSideListener } from "./namespace.ts";
import { createConnectRefusals, type ServerStats } from "./observer.ts";
import { ParentNamespace, type NamespaceMatcher } from "./parent-namespace.ts";
import type { RemoteSocket } from "./remote-socket.ts";
import {
  resolveRecovery,
  resolveServerOptions,
  type ConnectionStateRecoveryOptions,
  type ServerOptions,
} from "./server-options.ts";
import type { Socket } from "./socket.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

export type { ConnectionStateRecoveryOptions, ServerOptions } from "./server-options.ts";

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
  /** CONNECTs answered with CONNECT_ERROR, by reason (bumped by Client and Namespace). */
  readonly connectRefusals = createConnectRefusals();

  constructor(options?: Partial<ServerOptions>);
  constructor(port: number, options?: Partial<ServerOptions>);
  constructor(portOrOptions?: number | Partial<ServerOptions>, maybeOptions?: Partial<ServerOptions>) {
    const given = typeof portOrOptions === "number" ? (maybeOptions ?? {}) : (portOrOptions ?? {});
    this.options = resolveServerOptions(given);
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
        addressOf: this.options.addressOf,
        addressLimits: this.options.addressLimits,
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

  /**
   * The figures an app's metrics read at scrape time: sockets by transport, rooms and pending acks
   * per namespace (one pass over the sockets), and the engine's and the server's counters.
   */
  stats(): ServerStats {
    const namespaces = [...this.namespaces.values()].map((nsp) => {
      const sockets = { polling: 0, websocket: 0 };
      let pendingAcks = 0;
      for (const socket of nsp.sockets.values()) {
        sockets[socket.conn.transport]++;
        pendingAcks += socket.pendingAcks;
      }
      return { name: nsp.name, sockets, rooms: nsp.adapter.rooms.size, pendingAcks };
    });
    const engine = { ...this.engine.stats, sessions: this.engine.clientsCount };
    return { namespaces, engine, connectRefusals: this.connectRefusals };
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

  on(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  on<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener: ServerSideListener<ServerSideEvents, Ev>): this;
  on(event: string, listener: (...args: never[]) => unknown): this {
    (this.sockets.on as (event: string, listener: (...args: never[]) => unknown) => unknown)(event, listener);
    return this;
  }
  once(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  once<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener: ServerSideListener<ServerSideEvents, Ev>): this;
  once(event: string, listener: (...args: never[]) => unknown): this {
    (this.sockets.once as (event: string, listener: (...args: never[]) => unknown) => unknown)(event, listener);
    return this;
  }
  off(event: "connection" | "connect", listener?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  off<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener?: ServerSideListener<ServerSideEvents, Ev>): this;
  off(event: string, listener?: (...args: never[]) => unknown): this {
    (this.sockets.off as (event: string, listener?: (...args: never[]) => unknown) => unknown)(event, listener);
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
