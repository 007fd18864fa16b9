// Which of this node's sockets are in which rooms of one namespace, the Bun topic subscriptions that
// mirror it, and the one topic (when there is one) that reaches a broadcast's target exactly.
import type { AdapterHost, AdapterSocket, BroadcastOptions, Room, SocketId } from "./types.ts";
import { namespaceTopic, roomTopic } from "./topics.ts";

/** A topic that reaches exactly a broadcast's target, skipping at most one socket, and how many sockets it reaches. */
export type TargetTopic = { name: string; except?: AdapterSocket; recipients: number };

export class RoomMembership {
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(
    private readonly host: AdapterHost,
    /** Told after the rooms a socket joined changed. */
    private readonly roomsChanged: (id: SocketId) => void,
  ) {}

  /** Whether a room has a member on this node (a socket's own room counts). */
  hasRoom(room: Room): boolean {
    return this.rooms.has(room) || this.host.sockets.has(room);
  }

  // A socket's own room (its id) is implicit: it costs no Set and no topic per socket, and a
  // broadcast to it is a direct send. `rooms`/`sids` hold only the rooms sockets joined.

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    let joined = this.sids.get(id);
    const socket = this.host.sockets.get(id);
    for (const room of rooms) {
      if (room === id || joined?.has(room)) continue;
      if (!joined) this.sids.set(id, (joined = new Set()));
      joined.add(room);
      let members = this.rooms.get(room);
      if (!members) this.rooms.set(room, (members = new Set()));
      members.add(id);
      socket?.subscribe(roomTopic(this.host.name, room));
    }
    if (joined) this.roomsChanged(id);
  }

  del(id: SocketId, room: Room): void {
    const joined = this.sids.get(id);
    if (!joined?.delete(room)) return;
    if (joined.size === 0) this.sids.delete(id);
    this.removeMember(room, id);
    this.host.sockets.get(id)?.unsubscribe(roomTopic(this.host.name, room));
    this.roomsChanged(id);
  }

  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    const socket = this.host.sockets.get(id);
    for (const room of joined) {
      this.removeMember(room, id);
      socket?.unsubscribe(roomTopic(this.host.name, room));
    }
    this.sids.delete(id);
    this.roomsChanged(id);
  }

  private removeMember(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members) return;
    members.delete(id);
    // Empty rooms are dropped at once: a long-running server must not accumulate them.
    if (members.size === 0) this.rooms.delete(room);
  }

  /** Members of a room, counting a socket's implicit own room. */
  private membersOf(room: Room): Iterable<SocketId> {
    const members = this.rooms.get(room);
    if (!this.host.sockets.has(room)) return members ?? [];
    return members ? [room, ...members] : [room];
  }

  matchingSockets(options: BroadcastOptions): SocketId[] {
    const excluded = new Set<SocketId>();
    if (options.except) {
      for (const room of options.except) for (const id of this.membersOf(room)) excluded.add(id);
    }
    const out: SocketId[] = [];
    if (options.rooms.size === 0) {
      for (const id of this.host.sockets.keys()) if (!excluded.has(id)) out.push(id);
      return out;
    }
    // A socket in several targeted rooms is delivered to once.
    const seen = new Set<SocketId>();
    for (const room of options.rooms) {
      for (const id of this.membersOf(room)) {
        if (seen.has(id) || excluded.has(id)) continue;
        seen.add(id);
        out.push(id);
      }
    }
    return out;
  }

  /** Rooms with a member here, each socket's own room included (as socket.io lists them). */
  localRooms(): Set<Room> {
    return new Set([...this.host.sockets.keys(), ...this.rooms.keys()]);
  }

  socketRooms(id: SocketId): ReadonlySet<Room> | undefined {
    if (!this.host.sockets.has(id)) return this.sids.get(id);
    return new Set([id, ...(this.sids.get(id) ?? [])]);
  }

  /**
   * The topic that reaches exactly the target, when there is one: the whole namespace or one
   * shared room, excluding nobody or only the sender (ws.publish skips the publisher itself).
   */
  topicFor(options: BroadcastOptions): TargetTopic | undefined {
    const except = options.except;
    let exceptSocket: AdapterSocket | undefined;
    if (except && except.size > 0) {
      if (except.size > 1) return undefined;
      const [only] = except as ReadonlySet<Room>;
      if (only === undefined) return undefined;
      // ws.publish skips the publisher: a topic can exclude one socket, so an excluded room of at
      // most one member works too ("everyone but this user", whose only tab it is). A room nobody
      // is in excludes nobody.
      const own = this.host.sockets.has(only);
      const members = this.rooms.get(only);
      if ((own ? 1 : 0) + (members?.size ?? 0) > 1) return undefined;
      const excluded = own ? only : members?.values().next().value;
      exceptSocket = excluded === undefined ? undefined : this.host.sockets.get(excluded);
    }
    if (options.rooms.size === 0) {
      // The excluded socket, when there is one, is one of the namespace's.
      const recipients = this.host.sockets.size - (exceptSocket ? 1 : 0);
      return { name: namespaceTopic(this.host.name), except: exceptSocket, recipients };
    }
    if (options.rooms.size > 1) return undefined;
    const [room] = options.rooms as ReadonlySet<Room>;
    // A socket's own room (direct send) or an empty room: no topic.
    const members = room === undefined ? undefined : this.rooms.get(room);
    if (room === undefined || !members || this.host.sockets.has(room)) return undefined;
    const recipients = members.size - (exceptSocket && members.has(exceptSocket.id) ? 1 : 0);
    return { name: roomTopic(this.host.name, room), except: exceptSocket, recipients };
  }
}
