// One client's connection to one namespace: socket.io's Socket API (emit with acks and timeouts,
// rooms, broadcasting from it, disconnect reasons, recovery state). Listeners and per-packet
// middleware are in socket-listeners.ts, outgoing acks in ack-registry.ts.
import type { Adapter, AdapterSocket, EncodedPacket, Room, SocketId } from "../adapter/types.ts";
import { randomId } from "../engine/ids.ts";
import type { EngineSession } from "../engine/types.ts";
import { AckRegistry, ackResponder, expireLater, type AckFn } from "./ack-registry.ts";
import { BroadcastOperator, type BroadcastFlagsState } from "./broadcast-operator.ts";
import type { Client } from "./client.ts";
import { parserTopic } from "./fanout-formats.ts";
import { RECOVERABLE_REASONS, type DisconnectReason } from "./disconnect-reason.ts";
import type { Namespace } from "./namespace.ts";
import { SioPacketType, type SioPacket } from "./parser/index.ts";
import { RESERVED_EVENTS } from "./reserved-events.ts";
import { handshakeView, type Handshake } from "./socket-handshake.ts";
import { SocketListeners } from "./socket-listeners.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

export type { DisconnectReason } from "./disconnect-reason.ts";
export type { Handshake } from "./socket-handshake.ts";
export type { SocketReservedEvents } from "./socket-listeners.ts";

const NO_FLAGS: BroadcastFlagsState = Object.freeze({});

export type RecoveredSession = { sid: SocketId; pid: string; rooms: Room[]; data: unknown; missedPackets: unknown[][] };

export class Socket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = unknown,
  >
  extends SocketListeners<ListenEvents>
  implements AdapterSocket
{
  readonly id: SocketId;
  /** Private session id for connection state recovery (never sent to other clients). */
  readonly pid: string | undefined;
  data: SocketData;
  connected = false;
  /** True when this socket resumed a previous session (connection state recovery). */
  readonly recovered: boolean;

  // Created on first use: a server holding many idle sockets pays for none of it.
  private acks: AckRegistry | undefined;
  private flags: BroadcastFlagsState = NO_FLAGS;
  private handshakeCache: Handshake | undefined;
  private readonly auth: Record<string, unknown>;

  constructor(
    readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly client: Client,
    auth: Record<string, unknown>,
    previous?: RecoveredSession,
  ) {
    super();
    this.auth = auth;
    const recovery = nsp.server.recoveryOptions;
    if (previous) {
      this.id = previous.sid;
      this.pid = previous.pid;
      this.data = previous.data as SocketData;
      this.recovered = true;
    } else {
      // Never the engine sid: that one is a credential for the transport (socket.io does the same).
      this.id = randomId();
      this.pid = recovery ? randomId() : undefined;
      this.data = {} as SocketData;
      this.recovered = false;
    }
  }

  /** The handshake details socket.io exposes, built on first access from the engine's copy. */
  get handshake(): Handshake {
    return (this.handshakeCache ??= handshakeView(this.client.conn, this.auth));
  }

  get conn(): EngineSession {
    return this.client.conn;
  }

  get adapter(): Adapter {
    return this.nsp.adapter;
  }

  get rooms(): Set<Room> {
    return new Set(this.adapter.socketRooms(this.id) ?? []);
  }

  /** Emits of this socket still waiting for the client's ack (metrics read it at scrape time). */
  get pendingAcks(): number {
    return this.acks?.size ?? 0;
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  reportError(error: unknown, context: string): void {
    this.nsp.server.reportError(error, context);
  }

  // ---- AdapterSocket --------------------------------------------------------------------------

  get writable(): boolean {
    return this.client.conn.writable;
  }

  deliver(packet: EncodedPacket): void {
    this.client.write(packet.framesFor(this.client.parser));
  }

  expectAck(id: number, callback: (...args: unknown[]) => void): void {
    (this.acks ??= new AckRegistry(this)).register(id, callback, undefined);
  }

  /** Drops a broadcast's ack callback once that broadcast is settled. */
  forgetAck(id: number): void {
    this.acks?.forget(id);
  }

  // A connection's format is known before any socket exists (its first packet is the CONNECT).
  subscribe(topic: string): void {
    this.client.conn.subscribe(parserTopic(topic, this.client.parser));
  }

  unsubscribe(topic: string): void {
    this.client.conn.unsubscribe(parserTopic(topic, this.client.parser));
  }

  // ---- emitting -------------------------------------------------------------------------------

  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const flags = this.flags;
    this.flags = NO_FLAGS;
    const last: unknown = args[args.length - 1];
    const ack = typeof last === "function" ? (last as AckFn) : undefined;
    if (!this.connected) {
      this.unanswerable(ack, flags);
      return false;
    }
    const data: unknown[] = [event, ...args];
    if (ack) data.pop();
    this.nsp.server.options.observer?.eventSent?.(event);
    this.notifyOutgoing(data);
    if (flags.volatile && !this.writable) {
      this.unanswerable(ack, flags);
      return true;
    }
    let id: number | undefined;
    if (ack) {
      id = this.nsp.nextAckId();
      (this.acks ??= new AckRegistry(this)).register(id, ack, flags.timeout);
    }
    const recovery = this.nsp.server.recoveryOptions;
    if (recovery && id === undefined && !flags.volatile) {
      // Through the adapter, so the packet gets an offset and can be replayed after a reconnect.
      this.adapter.broadcast({ data }, { rooms: new Set([this.id]), flags: {} });
      return true;
    }
    this.sendPacket({ type: SioPacketType.EVENT, nsp: this.nsp.name, data, ...(id === undefined ? {} : { id }) });
    return true;
  }

  /** An ack whose packet is not sent: a timed one still times out, an untimed one is dropped. */
  private unanswerable(ack: AckFn | undefined, flags: BroadcastFlagsState): void {
    if (ack && flags.timeout !== undefined) expireLater(ack, flags.timeout, this);
  }

  /** Emits and resolves with the client's acknowledgement (rejects on timeout when one is set). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: unknown[]): Promise<unknown> {
    const withTimeout = this.flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const callback = withTimeout
        ? (error: unknown, response: unknown) => (error ? reject(error) : resolve(response))
        : (response: unknown) => resolve(response);
      (this.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...args, callback);
    });
  }

  send(...args: unknown[]): this {
    (this.emit as (event: string, ...rest: unknown[]) => boolean)("message", ...args);
    return this;
  }

  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Sets an ack timeout for the next emit: the callback then gets `(err, ...response)`. */
  timeout(ms: number): this {
    this.flags = { ...this.flags, timeout: ms };
    return this;
  }

  get volatile(): this {
    this.flags = { ...this.flags, volatile: true };
    return this;
  }

  compress(compress: boolean): this {
    this.flags = { ...this.flags, compress };
    return this;
  }

  // ---- broadcasting from this socket (excluding itself) ---------------------------------------

  private broadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    const flags = this.flags;
    this.flags = NO_FLAGS;
    return new BroadcastOperator(this.nsp, new Set(), new Set([this.id]), flags);
  }

  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator();
  }

  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().to(room);
  }

  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().except(room);
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().local;
  }

  // ---- rooms ----------------------------------------------------------------------------------

  join(rooms: Room | Room[]): void {
    // Joining after the disconnection would leak the room forever (socket.io#4067).
    if (!this.connected) return;
    this.adapter.addAll(this.id, Array.isArray(rooms) ? rooms : [rooms]);
  }

  leave(room: Room): void {
    this.adapter.del(this.id, room);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Disconnects from this namespace; with `close`, the whole underlying connection. */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.disconnectAll();
    } else {
      this.sendPacket({ type: SioPacketType.DISCONNECT, nsp: this.nsp.name });
      this.onclose("server namespace disconnect");
    }
    return this;
  }

  /** Called by the namespace once middlewares passed: joins its own room, answers CONNECT. */
  onconnect(previous?: RecoveredSession): void {
    this.connected = true;
    this.adapter.addAll(this.id, [this.id]);
    if (previous) {
      this.adapter.addAll(this.id, previous.rooms);
      // Missed packets go out before the CONNECT reply; the client buffers them until connected.
      for (const data of previous.missedPackets) {
        this.sendPacket({ type: SioPacketType.EVENT, nsp: this.nsp.name, data });
      }
    }
    const reply = this.pid === undefined ? { sid: this.id } : { sid: this.id, pid: this.pid };
    this.sendPacket({ type: SioPacketType.CONNECT, nsp: this.nsp.name, data: reply });
  }

  /** Called when the client or transport ends this socket. Runs at most once. */
  onclose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitSafely("disconnecting", [reason, description]);
    if (this.pid !== undefined && RECOVERABLE_REASONS.has(reason)) {
      this.adapter.persistSession({ sid: this.id, pid: this.pid, rooms: [...this.rooms], data: this.data });
    }
    this.acks?.close();
    this.adapter.delAll(this.id);
    this.nsp.removeSocket(this);
    this.client.removeSocket(this);
    this.connected = false;
    this.emitSafely("disconnect", [reason, description]);
  }

  // ---- inbound packets ------------------------------------------------------------------------

  onpacket(packet: SioPacket): void {
    switch (packet.type) {
      case SioPacketType.EVENT:
        this.nsp.server.options.observer?.eventReceived?.(packet.data[0]);
        // The decoder hands over a fresh array: it becomes the argument list as is.
        if (packet.id !== undefined) packet.data.push(ackResponder(this, packet.id));
        this.receiveEvent(packet.data);
        return;
      case SioPacketType.ACK:
        this.acks?.settle(packet.id, packet.data);
        return;
      case SioPacketType.DISCONNECT:
        this.onclose("client namespace disconnect");
        return;
      default:
        return;
    }
  }

  /** Encodes and writes one packet on this socket's connection (see Client.sendPacket). */
  sendPacket(packet: SioPacket): void {
    this.client.sendPacket(packet);
  }
}
