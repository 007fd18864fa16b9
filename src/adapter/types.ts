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

/** The namespace side the adapter talks to (implemented by Namespace). */
export interface AdapterHost<S extends AdapterSocket = AdapterSocket> {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, S>;
}

/**
 * One packet ready for fan-out, as the socket layer encoded it (possibly once per wire format in
 * use). The adapter only hands it to `publish` and `deliver`; it never looks inside.
 */
export interface EncodedPacket {
  /** The Engine.IO messages for one wire format (a header and its attachments, back to back). */
  framesFor(format: string): readonly (string | Uint8Array)[];
}

/** What the adapter needs of a socket to deliver to it. */
export interface AdapterSocket {
  readonly id: SocketId;
  /** False while its transport cannot take more (volatile packets are skipped then). */
  readonly writable: boolean;
  /** Sends an already-encoded packet (in the wire format its connection speaks). */
  deliver(packet: EncodedPacket): void;
  /** Registers an ack callback under a broadcast's packet id. */
  expectAck(id: number, callback: (...args: unknown[]) => void): void;
  /** Subscribes/unsubscribes its transport to a fan-out topic. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

export interface Adapter {
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  addAll(id: SocketId, rooms: Iterable<Room>): void;
  del(id: SocketId, room: Room): void;
  delAll(id: SocketId): void;
  broadcast(packet: BroadcastPacket, options: BroadcastOptions): void;
  /** Broadcast expecting one ack per receiver: `sent` gets the receiver count, `ack` each answer. */
  broadcastWithAck(
    packet: BroadcastPacket,
    options: BroadcastOptions,
    sent: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): ReadonlySet<Room> | undefined;
  /** Ids matching the options (rooms/except), in this node. */
  matchingSockets(options: BroadcastOptions): SocketId[];
  serverSideEmit(packet: unknown[]): void;
  persistSession(session: PersistedSession): void;
  restoreSession(pid: string, offset: string): RestoredSession | undefined;
  close(): void;
}
