// A namespace: its sockets, connection middlewares, adapter, and socket.io's namespace API
// (broadcast operators, bulk operations, per-namespace ack ids).
import type { Adapter, AdapterHost, EncodedPacket, Room, SocketId } from "../adapter/types.ts";
import type { EngineSession } from "../engine/types.ts";
import { BroadcastOperator } from "./broadcast-operator.ts";
import type { Client } from "./client.ts";
import { invokeListener, SafeEmitter } from "./emitter.ts";
import { PacketFrames, parserTopic, type FormatsInUse } from "./fanout-formats.ts";
import { runMiddlewareChain } from "./middleware-chain.ts";
import { SioPacketType } from "./parser/index.ts";
import type { ServerObserver } from "./observer.ts";
import type { RemoteSocket } from "./remote-socket.ts";
import { RESERVED_EVENTS } from "./reserved-events.ts";
import type { Server } from "./server.ts";
import { Socket, type RecoveredSession } from "./socket.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

/** A connection error a middleware passes to next(): `data` reaches the client as `err.data`. */
export type ExtendedError = Error & { data?: unknown };

const MAX_ACK_ID = 2 ** 31 - 1;

/** The observer's broadcast hook for the adapter, when the observer has one. */
function broadcastHook(observer: ServerObserver | undefined): ((recipients: number) => void) | undefined {
  return observer?.broadcast ? (recipients) => observer.broadcast?.(recipients) : undefined;
}

/** A server-side event's listener as the event map declares it (an ack for the sender, when asked for, comes last). */
export type ServerSideListener<S extends EventsMap, Ev extends EventNames<S>> = S[Ev];

export type NamespaceMiddleware<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> = (
  socket: Socket<L, E, S, D>,
  next: (error?: ExtendedError) => void,
) => void;

export class Namespace<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = unknown,
  >
  extends SafeEmitter
  implements AdapterHost<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>
{
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  readonly adapter: Adapter;
  /** Connection middlewares (copied to children of a dynamic namespace). */
  middlewares: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  private ackIds = 0;
  /** Sockets whose connection speaks msgpack (the others speak the default format). */
  private msgpackSockets = 0;

  constructor(
    readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly name: string,
    /** Replaces the configured adapter (a dynamic family's parent fans out to its children). */
    adapter?: Adapter,
  ) {
    super();
    this.adapter = adapter ?? server.options.adapter(this, {
      encode: (data, id) =>
        new PacketFrames({ type: SioPacketType.EVENT, nsp: name, data, ...(id === undefined ? {} : { id }) }, this.formatsInUse()),
      publish: (topic, packet, except) => this.publish(topic, packet, except ? this.sockets.get(except.id)?.conn : undefined),
      recoveryWindow: server.recoveryOptions?.maxDisconnectionDuration,
      onBroadcast: broadcastHook(server.options.observer),
      ...(server.options.admitBroadcast ? { admit: server.options.admitBroadcast } : {}),
    });
  }

  reportError(error: unknown, context: string): void {
    this.server.reportError(error, context);
  }

  private formatsInUse(): FormatsInUse {
    return { default: this.sockets.size > this.msgpackSockets, msgpack: this.msgpackSockets > 0 };
  }

  /** One native publish per wire format in use, each on that format's topic (fanout-formats.ts). */
  private publish(topic: string, packet: EncodedPacket, except: EngineSession | undefined): void {
    if (this.sockets.size > this.msgpackSockets) this.server.publish(topic, packet.framesFor("default"), except);
    if (this.msgpackSockets > 0) this.server.publish(parserTopic(topic, "msgpack"), packet.framesFor("msgpack"), except);
  }

  /** The next id for an emit expecting acks; it wraps at 2^31 - 1, the largest id a client may answer. */
  nextAckId(): number {
    const id = this.ackIds;
    this.ackIds = id === MAX_ACK_ID ? 0 : id + 1;
    return id;
  }

  // ---- listeners ------------------------------------------------------------------------------

  on(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  /** A server-side event from another node (serverSideEmit); with an ack, its callback comes last. */
  on<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener: ServerSideListener<ServerSideEvents, Ev>): this;
  on(event: string, listener: (...args: never[]) => unknown): this {
    this.addListener(event, listener);
    return this;
  }

  once(event: "connection" | "connect", listener: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  once<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener: ServerSideListener<ServerSideEvents, Ev>): this;
  once(event: string, listener: (...args: never[]) => unknown): this {
    this.addOnceListener(event, listener);
    return this;
  }

  off(event: "connection" | "connect", listener?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void): this;
  off<Ev extends EventNames<ServerSideEvents>>(event: Ev, listener?: ServerSideListener<ServerSideEvents, Ev>): this;
  off(event: string, listener?: (...args: never[]) => unknown): this {
    this.removeListenerOf(event, listener);
    return this;
  }

  listeners(event: string): readonly ((...args: never[]) => unknown)[] {
    return this.listenersOf(event);
  }

  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.middlewares.push(fn);
    return this;
  }

  // ---- broadcasting ---------------------------------------------------------------------------

  private operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this as unknown as Namespace<EventsMap, EventsMap, EventsMap, SocketData>);
  }

  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().to(room);
  }
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().in(room);
  }
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().except(room);
  }
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().volatile;
  }
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().local;
  }
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().compress(compress);
  }
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().timeout(ms);
  }

  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator().emit(event, ...args);
  }

  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: unknown[]): Promise<unknown[]> {
    return this.operator().emitWithAck(event, ...args);
  }

  send(...args: unknown[]): this {
    (this.operator().emit as (event: string, ...rest: unknown[]) => boolean)("message", ...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.operator().fetchSockets();
  }

  socketsJoin(room: Room | readonly Room[]): void {
    this.operator().socketsJoin(room);
  }

  socketsLeave(room: Room | readonly Room[]): void {
    this.operator().socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.operator().disconnectSockets(close);
  }

  async allSockets(): Promise<Set<SocketId>> {
    return this.adapter.sockets(new Set());
  }

  /**
   * Emits to the other server nodes' namespaces of this name (the adapter carries it; on one node
   * nobody hears it). A function as last argument gets `(err, responses)`, one answer per node.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(event: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const packet: unknown[] = [event, ...args];
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.adapter.serverSideEmit(packet);
      return true;
    }
    packet.pop();
    const callback = last as (error: Error | null, responses: unknown[]) => void;
    this.adapter.serverSideEmitWithAck(packet).then(
      (responses) => invokeListener(callback, [null, responses], "serverSideEmit ack", this),
      (error: unknown) => invokeListener(callback, [error instanceof Error ? error : new Error(String(error)), []], "serverSideEmit ack", this),
    );
    return true;
  }

  /** Resolves with one answer per other node; rejects when they do not all answer in time. */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(event: Ev, ...args: unknown[]): Promise<unknown[]> {
    if (RESERVED_EVENTS.has(event)) return Promise.reject(new Error(`"${event}" is a reserved event name`));
    return this.adapter.serverSideEmitWithAck([event, ...args]);
  }

  /** Called by the adapter with a server-side event from another node. */
  onServerSideEmit(args: unknown[]): void {
    const [event, ...rest] = args;
    // The bus is not trusted to name the namespace's own events: those stay the library's.
    if (typeof event !== "string" || event === "connection" || event === "connect" || RESERVED_EVENTS.has(event)) return;
    this.emitSafely(event, rest);
  }

  // ---- connections ----------------------------------------------------------------------------

  /** Runs the middlewares for a CONNECT and, when they pass, connects a new (or recovered) socket. */
  addClient(
    client: Client,
    auth: Record<string, unknown>,
    done: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
  ): void {
    const recovering = this.tryRecover(auth);
    if (!(recovering instanceof Promise)) {
      this.connectClient(client, auth, recovering, done);
      return;
    }
    // A cluster adapter asks the other nodes for a session it does not have: the CONNECT waits for the answer.
    recovering.then(
      (previous) => this.connectClient(client, auth, previous, done),
      (error: unknown) => {
        this.reportError(error, "connection state recovery");
        this.connectClient(client, auth, undefined, done);
      },
    );
  }

  private connectClient(
    client: Client,
    auth: Record<string, unknown>,
    previous: RecoveredSession | undefined,
    done: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
  ): void {
    const socket = new Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, client, auth, previous);
    const skip = previous !== undefined && this.server.recoveryOptions?.skipMiddlewares === true;
    const proceed = (error?: ExtendedError) => {
      if (client.conn.closed) {
        done(undefined);
        return;
      }
      if (error) {
        const message = String(error.message);
        const data = error.data === undefined ? { message } : { message, data: error.data };
        this.server.connectRefusals.middleware++;
        client.sendPacket({ type: SioPacketType.CONNECT_ERROR, nsp: this.name, data });
        done(undefined);
        return;
      }
      this.sockets.set(socket.id, socket);
      if (client.parser === "msgpack") this.msgpackSockets++;
      this.adapter.attach(socket);
      socket.onconnect(previous);
      done(socket);
      this.emitSafely("connect", [socket]);
      this.emitSafely("connection", [socket]);
    };
    if (skip) proceed();
    else this.runMiddlewares(socket, proceed);
  }

  private tryRecover(auth: Record<string, unknown>): RecoveredSession | undefined | Promise<RecoveredSession | undefined> {
    if (!this.server.recoveryOptions) return undefined;
    const { pid, offset } = auth;
    if (typeof pid !== "string" || typeof offset !== "string") return undefined;
    return this.adapter.restoreSession(pid, offset);
  }

  private runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    done: (error?: ExtendedError) => void,
  ): void {
    runMiddlewareChain(
      this.middlewares.slice(),
      (middleware, next) => (middleware as (...args: unknown[]) => unknown)(socket, next),
      (error) => done(error === undefined ? undefined : error instanceof Error ? error : new Error(String(error))),
      (error) => {
        this.reportError(error, "namespace middleware");
        return error instanceof Error ? error : new Error("middleware failed");
      },
    );
  }

  removeSocket(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.adapter.detach(socket);
    this.sockets.delete(socket.id);
    if (socket.client.parser === "msgpack") this.msgpackSockets--;
    this.server.namespaceEmptied(this);
  }

  /** Copies this namespace's handlers onto a child (dynamic namespaces). */
  inheritInto(child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    child.middlewares = this.middlewares.slice();
    for (const event of ["connect", "connection"] as const) {
      for (const listener of this.listenersOf(event)) {
        child.addListenerFrom(event, listener);
      }
    }
  }

  /** For inheritInto: adds a listener as is. */
  addListenerFrom(event: string, listener: (...args: never[]) => unknown): void {
    this.addListener(event, listener);
  }
}


