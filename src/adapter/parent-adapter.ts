// The adapter of a dynamic namespace family's parent: it has no sockets of its own and hands every
// broadcast to the adapters of its children, so `parent.to(room).emit(…)` reaches each child.
import type {
  Adapter,
  AdapterSocket,
  BroadcastOptions,
  BroadcastPacket,
  PersistedSession,
  RestoredSession,
  Room,
  SocketDetails,
  SocketId,
} from "./types.ts";

export class ParentAdapter implements Adapter {
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(private readonly children: () => Iterable<{ readonly adapter: Adapter }>) {}

  attach(_socket: AdapterSocket): void {}
  detach(_socket: AdapterSocket): void {}
  addAll(_id: SocketId, _rooms: Iterable<Room>): void {}
  del(_id: SocketId, _room: Room): void {}
  delAll(_id: SocketId): void {}

  broadcast(packet: BroadcastPacket, options: BroadcastOptions): void {
    for (const child of this.children()) child.adapter.broadcast(packet, options);
  }

  broadcastWithAck(): void {
    // Ack ids are per namespace: one id cannot be registered in every child without colliding.
    throw new Error("acknowledgements are not supported when broadcasting from a parent namespace");
  }

  async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const all = new Set<SocketId>();
    for (const child of this.children()) for (const id of await child.adapter.sockets(rooms)) all.add(id);
    return all;
  }

  async serverCount(): Promise<number> {
    const counts = await Promise.all([...this.children()].map((child) => child.adapter.serverCount()));
    return Math.max(1, ...counts);
  }

  async allRooms(): Promise<Set<Room>> {
    const all = new Set<Room>();
    for (const child of this.children()) for (const room of await child.adapter.allRooms()) all.add(room);
    return all;
  }

  async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all([...this.children()].map((child) => child.adapter.fetchSockets(options)));
    return all.flat();
  }

  addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.children()) child.adapter.addSockets(options, rooms);
  }

  delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.children()) child.adapter.delSockets(options, rooms);
  }

  disconnectSockets(options: BroadcastOptions, close: boolean): void {
    for (const child of this.children()) child.adapter.disconnectSockets(options, close);
  }

  socketRooms(_id: SocketId): ReadonlySet<Room> | undefined {
    return undefined;
  }

  matchingSockets(_options: BroadcastOptions): SocketId[] {
    return [];
  }

  serverSideEmit(_packet: unknown[]): void {}
  async serverSideEmitWithAck(_packet: unknown[]): Promise<unknown[]> {
    return [];
  }
  persistSession(_session: PersistedSession): void {}
  restoreSession(_pid: string, _offset: string): RestoredSession | undefined | Promise<RestoredSession | undefined> {
    return undefined;
  }
  close(): void {}
}
