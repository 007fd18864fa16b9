// Which of this node's sockets are in which rooms of one namespace, the Bun topic subscriptions that
// mirror it, and the one topic (when there is one) that reaches a broadcast's target exactly.
import type { AdapterHost, AdapterSocket, BroadcastOptions, Room, SocketId } from "./types.ts";
import { MemberIndex } from "./member-index.ts";
import { namespaceTopic, roomTopic } from "./topics.ts";

/** A topic that reaches exactly a broadcast's target, skipping at most one socket, and how many sockets it reaches. */
export type TargetTopic = { name: string; except?: AdapterSocket; recipients: number };

export class RoomMembership {
  /** Sockets by room, and rooms by socket. */
  readonly rooms = new MemberIndex();
  readonly sids = new MemberIndex();

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
    const socket = this.host.sockets.get(id);
    for (const room of rooms) {
      if (room === id || !this.sids.add(id, room)) continue;
      this.rooms.add(room, id);
      this.subscribeJoined(room, id, socket);
    }
    if (this.sids.has(id)) this.roomsChanged(id);
  }

  // A room's topic is worth its native subscriptions (~0.7 KiB a socket in Bun) only from two
  // members on: a lone member, such as a user's channel with one tab, is sent to directly, as a
  // socket's own room is. Bun delivers what a topic had queued for a socket before unsubscribing it.
  private subscribeJoined(room: Room, id: SocketId, socket: AdapterSocket | undefined): void {
    const count = this.rooms.countOf(room);
    if (count < 2) return;
    const topic = roomTopic(this.host.name, room);
    if (count === 2) for (const other of this.rooms.membersOf(room)) if (other !== id) this.host.sockets.get(other)?.subscribe(topic);
    socket?.subscribe(topic);
  }

  /** After `id` left `room`: it leaves the topic, and so does a member left alone. */
  private unsubscribeLeft(room: Room, socket: AdapterSocket | undefined): void {
    const count = this.rooms.countOf(room);
    if (count === 0) return;
    const topic = roomTopic(this.host.name, room);
    socket?.unsubscribe(topic);
    const alone = count === 1 ? this.rooms.firstOf(room) : undefined;
    if (alone !== undefined) this.host.sockets.get(alone)?.unsubscribe(topic);
  }

  del(id: SocketId, room: Room): void {
    if (!this.sids.remove(id, room)) return;
    // Empty rooms are dropped at once (the index drops a key with its last member): a long-running
    // server must not accumulate them.
    this.rooms.remove(room, id);
    this.unsubscribeLeft(room, this.host.sockets.get(id));
    this.roomsChanged(id);
  }

  delAll(id: SocketId): void {
    if (!this.sids.has(id)) return;
    const socket = this.host.sockets.get(id);
    for (const room of this.sids.membersOf(id)) {
      this.rooms.remove(room, id);
      this.unsubscribeLeft(room, socket);
    }
    this.sids.removeKey(id);
    this.roomsChanged(id);
  }

  /** Members of a room, counting a socket's implicit own room. */
  private membersOf(room: Room): Iterable<SocketId> {
    const members = this.rooms.membersOf(room);
    if (!this.host.sockets.has(room)) return members;
    return [room, ...members];
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
    return new Set([id, ...this.sids.membersOf(id)]);
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
      if ((own ? 1 : 0) + this.rooms.countOf(only) > 1) return undefined;
      const excluded = own ? only : this.rooms.firstOf(only);
      exceptSocket = excluded === undefined ? undefined : this.host.sockets.get(excluded);
    }
    if (options.rooms.size === 0) {
      // The excluded socket, when there is one, is one of the namespace's.
      const recipients = this.host.sockets.size - (exceptSocket ? 1 : 0);
      return { name: namespaceTopic(this.host.name), except: exceptSocket, recipients };
    }
    if (options.rooms.size > 1) return undefined;
    const [room] = options.rooms as ReadonlySet<Room>;
    // A socket's own room (direct send), or a room of one (its member holds no topic): no topic.
    const count = room === undefined ? 0 : this.rooms.countOf(room);
    if (room === undefined || count < 2 || this.host.sockets.has(room)) return undefined;
    const recipients = count - (exceptSocket && this.rooms.hasMember(room, exceptSocket.id) ? 1 : 0);
    return { name: roomTopic(this.host.name, room), except: exceptSocket, recipients };
  }
}
