// The adapter seam: room membership and fan-out for one namespace. The local adapter implements
// it on one node with Bun topics; a cluster adapter implements the same contract across nodes.

export type SocketId = string;
export type Room = string;

export type BroadcastFlags = {
  volatile?: boolean;
  compress?: boolean;
  /** Only this node, even under a cluster adapter. */
  local?: boolean;
  /** Milliseconds to wait for acks, when the broadcast expects them. */
  timeout?: number;
};

export type BroadcastOptions = {
  /** Empty: every socket of the namespace. */
  rooms: ReadonlySet<Room>;
  except?: ReadonlySet<Room>;
  flags?: BroadcastFlags;
};

/** An EVENT to broadcast: the namespace is the adapter's own. */
export type BroadcastPacket = { data: unknown[]; id?: number };

/** What a session needs to come back after a short disconnection (connection state recovery). */
export type PersistedSession = {
  sid: SocketId;
  pid: string;
  rooms: Room[];
  data: unknown;
};

export type RestoredSession = PersistedSession & { missedPackets: unknown[][] };

/** What fetchSockets() learns of a socket, on this node or another (plain data: it crosses the bus). */
export type SocketDetails = {
  id: SocketId;
  handshake: unknown;
  rooms: Room[];
  data: unknown;
};

/** The namespace side the adapter talks to (implemented by Namespace). */
export interface AdapterHost<S extends AdapterSocket = AdapterSocket> {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, S>;
  /** A fresh ack id of this namespace (a broadcast with acks from another node gets one of ours). */
  nextAckId(): number;
  /** Runs a server-side event another node emitted; with an ack, the callback is the last argument. */
  onServerSideEmit(args: unknown[]): void;
}

/**
 * One packet ready for fan-out, as the socket layer encoded it (possibly once per wire format in
 * use). The adapter only hands it to `publish` and `deliver`; it never looks inside.
 */
export interface EncodedPacket {
  /** The Engine.IO messages for one wire format (a header and its attachments, back to back). */
  framesFor(format: string): readonly (string | Uint8Array)[];
}

/** What the adapter needs of a socket to deliver to it and to act on it for another node. */
export interface AdapterSocket {
  readonly id: SocketId;
  /** Private session id, when connection state recovery is on (a cluster adapter stores the session under it). */
  readonly pid?: string | undefined;
  /** False while its transport cannot take more (volatile packets are skipped then). */
  readonly writable: boolean;
  readonly handshake: unknown;
  readonly data: unknown;
  /** Sends an already-encoded packet (in the wire format its connection speaks). */
  deliver(packet: EncodedPacket): void;
  /** Registers an ack callback under a broadcast's packet id. */
  expectAck(id: number, callback: (...args: unknown[]) => void): void;
  /** Drops a broadcast's ack callback once that broadcast is settled. */
  forgetAck(id: number): void;
  /** Subscribes/unsubscribes its transport to a fan-out topic. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  join(rooms: Room | Room[]): void;
  leave(room: Room): void;
  disconnect(close?: boolean): unknown;
}

/**
 * Room membership and fan-out for one namespace. The `rooms`/`sids` maps and `socketRooms` are this
 * node's view; the async questions (sockets, fetchSockets, allRooms, serverCount) and the bulk
 * operations reach every node of a cluster unless the `local` flag is set.
 */
export interface Adapter {
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  /** A socket of this node connected / is gone: it starts / stops receiving the namespace's broadcasts. */
  attach(socket: AdapterSocket): void;
  detach(socket: AdapterSocket): void;
  addAll(id: SocketId, rooms: Iterable<Room>): void;
  del(id: SocketId, room: Room): void;
  delAll(id: SocketId): void;
  broadcast(packet: BroadcastPacket, options: BroadcastOptions): void;
  /**
   * Broadcast expecting one ack per receiver: `sent` is called once per node with its receiver
   * count (serverCount() tells how many calls to expect), `ack` with each answer.
   */
  broadcastWithAck(
    packet: BroadcastPacket,
    options: BroadcastOptions,
    sent: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
  /** Nodes in the cluster, this one included. */
  serverCount(): Promise<number>;
  /** Ids of the sockets in any of the rooms (all sockets when none), on every node. */
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;
  /** Rooms that have members, on every node. */
  allRooms(): Promise<Set<Room>>;
  /** Sockets matching the options, on every node (this node's first). */
  fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]>;
  /** Makes the matching sockets, on every node, join / leave the rooms, or disconnect. */
  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void;
  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void;
  disconnectSockets(options: BroadcastOptions, close: boolean): void;
  /** Rooms of a socket of this node (its own id included). */
  socketRooms(id: SocketId): ReadonlySet<Room> | undefined;
  /** Ids matching the options (rooms/except), in this node. */
  matchingSockets(options: BroadcastOptions): SocketId[];
  /** Emits an event to the other nodes' namespaces (no-op on one node). */
  serverSideEmit(packet: unknown[]): void;
  /** Same, resolving with one answer per other node; rejects when they do not all answer in time. */
  serverSideEmitWithAck(packet: unknown[]): Promise<unknown[]>;
  persistSession(session: PersistedSession): void;
  /** The session of `pid` with the packets after `offset`; a cluster adapter may have to ask the other nodes (a Promise then). */
  restoreSession(pid: string, offset: string): RestoredSession | undefined | Promise<RestoredSession | undefined>;
  close(): void;
}
