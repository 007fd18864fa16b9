// The single-node adapter of one namespace: fan-out that encodes a packet once and lets Bun's native
// pub/sub deliver it when a topic can express the target, and the hooks of connection state recovery.
// Room membership is RoomMembership's.
import type {
  Adapter,
  AdapterHost,
  AdapterSocket,
  BroadcastOptions,
  BroadcastPacket,
  EncodedPacket,
  PersistedSession,
  RestoredSession,
  Room,
  SocketDetails,
  SocketId,
} from "./types.ts";
import type { Origin } from "./origin-offsets.ts";
import { RecoveryStore } from "./recovery-store.ts";
import { RoomMembership } from "./room-membership.ts";
import { namespaceTopic } from "./topics.ts";

export type AdapterDeps = {
  /** Encodes an EVENT of this namespace (once per wire format its sockets speak). */
  encode(data: unknown[], id?: number): EncodedPacket;
  /** Publishes a packet on a topic, skipping the `except` socket's transport. */
  publish(topic: string, packet: EncodedPacket, except?: AdapterSocket): void;
  /** Connection state recovery window in ms; undefined when recovery is off. */
  recoveryWindow?: number;
  /** Told how many sockets of this node each broadcast reached (an app's metrics). */
  onBroadcast?: (recipients: number) => void;
  /**
   * Asked before a broadcast, from this node or another, reaches this node's sockets; false drops
   * it here (an app deduplicating what it re-delivered after the bus came back).
   */
  admit?: (data: readonly unknown[], options: BroadcastOptions) => boolean;
};

export type AdapterFactory = (host: AdapterHost, deps: AdapterDeps) => Adapter;

export class LocalAdapter implements Adapter {
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  private readonly membership: RoomMembership;
  private readonly recovery: RecoveryStore | undefined;

  constructor(
    protected readonly host: AdapterHost,
    protected readonly deps: AdapterDeps,
  ) {
    this.membership = new RoomMembership(host, (id) => this.roomsChanged(id));
    this.rooms = this.membership.rooms;
    this.sids = this.membership.sids;
    this.recovery = deps.recoveryWindow === undefined ? undefined : new RecoveryStore(deps.recoveryWindow, (pid) => this.sessionDropped(pid));
  }

  attach(socket: AdapterSocket): void {
    socket.subscribe(namespaceTopic(this.host.name));
  }

  detach(socket: AdapterSocket): void {
    socket.unsubscribe(namespaceTopic(this.host.name));
  }

  /** Whether a room has a member on this node (a socket's own room counts). */
  hasRoom(room: Room): boolean {
    return this.membership.hasRoom(room);
  }

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    this.membership.addAll(id, rooms);
  }

  del(id: SocketId, room: Room): void {
    this.membership.del(id, room);
  }

  delAll(id: SocketId): void {
    this.membership.delAll(id);
  }

  /** The rooms a socket joined changed (a cluster adapter keeps its session's snapshot up to date). */
  protected roomsChanged(_id: SocketId): void {}

  broadcast(packet: BroadcastPacket, options: BroadcastOptions): void {
    this.deliverBroadcast(packet, options, undefined);
  }

  /** Whether a broadcast is kept for recovery (then it carries an offset). */
  protected recordable(packet: BroadcastPacket, options: BroadcastOptions): boolean {
    return this.recovery !== undefined && packet.id === undefined && !options.flags?.volatile;
  }

  /** Logs (when recordable) and delivers a broadcast to this node's sockets; `origin`: which of our nodes sent it first, and its number there. */
  protected deliverBroadcast(packet: BroadcastPacket, options: BroadcastOptions, origin: Origin | undefined): void {
    if (this.deps.admit && !this.deps.admit(packet.data, options)) return;
    const flags = options.flags ?? {};
    const data = this.recovery && this.recordable(packet, options) ? this.recorded(this.recovery.record(packet.data, options, origin), options, origin) : packet.data;
    const messages = this.deps.encode(data, packet.id);
    const topic = flags.volatile ? undefined : this.membership.topicFor(options);
    if (topic) {
      this.deps.publish(topic.name, messages, topic.except);
      this.deps.onBroadcast?.(topic.recipients);
      return;
    }
    let recipients = 0;
    for (const id of this.matchingSockets(options)) {
      const socket = this.host.sockets.get(id);
      if (!socket || (flags.volatile && !socket.writable)) continue;
      socket.deliver(messages);
      recipients++;
    }
    this.deps.onBroadcast?.(recipients);
  }

  broadcastWithAck(
    packet: BroadcastPacket,
    options: BroadcastOptions,
    sent: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = options.flags ?? {};
    const messages = this.deps.encode(packet.data, packet.id);
    let count = 0;
    for (const id of this.matchingSockets(options)) {
      const socket = this.host.sockets.get(id);
      if (!socket || (flags.volatile && !socket.writable)) continue;
      if (packet.id !== undefined) socket.expectAck(packet.id, ack);
      socket.deliver(messages);
      count++;
    }
    this.deps.onBroadcast?.(count);
    sent(count);
  }

  matchingSockets(options: BroadcastOptions): SocketId[] {
    return this.membership.matchingSockets(options);
  }

  async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    return new Set(this.matchingSockets({ rooms }));
  }

  async allRooms(): Promise<Set<Room>> {
    return this.localRooms();
  }

  /** Rooms with a member here, each socket's own room included (as socket.io lists them). */
  protected localRooms(): Set<Room> {
    return this.membership.localRooms();
  }

  async serverCount(): Promise<number> {
    return 1;
  }

  async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    return this.localDetails(options);
  }

  protected localDetails(options: BroadcastOptions): SocketDetails[] {
    const out: SocketDetails[] = [];
    for (const id of this.matchingSockets(options)) {
      const socket = this.host.sockets.get(id);
      if (socket) out.push({ id, handshake: socket.handshake, rooms: [...(this.socketRooms(id) ?? [])], data: socket.data });
    }
    return out;
  }

  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.localMatches(options)) socket.join([...rooms]);
  }

  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.localMatches(options)) for (const room of rooms) socket.leave(room);
  }

  disconnectSockets(options: BroadcastOptions, close: boolean): void {
    for (const socket of this.localMatches(options)) socket.disconnect(close);
  }

  private localMatches(options: BroadcastOptions): AdapterSocket[] {
    return this.matchingSockets(options).flatMap((id) => {
      const socket = this.host.sockets.get(id);
      return socket ? [socket] : [];
    });
  }

  socketRooms(id: SocketId): ReadonlySet<Room> | undefined {
    return this.membership.socketRooms(id);
  }

  serverSideEmit(_packet: unknown[]): void {
    // One node: there is no other server to tell. A cluster adapter overrides this.
  }

  async serverSideEmitWithAck(_packet: unknown[]): Promise<unknown[]> {
    return [];
  }

  persistSession(session: PersistedSession): void {
    this.recovery?.persist(session);
  }

  restoreSession(pid: string, offset: string): RestoredSession | undefined | Promise<RestoredSession | undefined> {
    return this.restoreHere(pid, offset);
  }

  /** The session as this node kept it (a cluster adapter answers other nodes' restore requests with it). */
  protected restoreHere(pid: string, offset: string): RestoredSession | undefined {
    return this.recovery?.restore(pid, offset);
  }

  /** Whether this node keeps sessions and broadcasts for recovery. */
  protected get recovering(): boolean {
    return this.recovery !== undefined;
  }

  /**
   * Keeps a broadcast from another node that reaches no socket here, for the sessions that dropped
   * from this node: a client coming back elsewhere is sent what it missed from this node's log.
   */
  protected recordUndelivered(data: unknown[], options: BroadcastOptions, origin: Origin | undefined): void {
    if (this.recovery) this.recorded(this.recovery.record(data, options, origin), options, origin);
  }

  /** Offsets name this node as `uid` and the origins of what it logs (a cluster adapter calls it once it has its uid). */
  protected identifyAs(uid: string): void {
    this.recovery?.identify(uid);
  }

  /** What a client of another (crashed) node of ours missed, read from this node's log; see RecoveryStore.missedSince. */
  protected missedSince(offset: string, rooms: ReadonlySet<Room>): unknown[][] | undefined {
    return this.recovery?.missedSince(offset, rooms);
  }

  /** A kept session left the recovery store (restored, handed over or expired). */
  protected sessionDropped(_pid: string): void {}

  /** Told of each broadcast logged for recovery, with its offset (a cluster adapter handing a session over watches them); returns it. */
  protected recorded(tagged: unknown[], _options: BroadcastOptions, _origin: Origin | undefined): unknown[] {
    return tagged;
  }

  close(): void {
    this.recovery?.close();
  }
}

export const localAdapter: AdapterFactory = (host, deps) => new LocalAdapter(host, deps);
