// Connection state recovery for one namespace: the broadcasts of the last window (each tagged
// with an offset the client echoes back) and the sessions of sockets that dropped recently.
// Under a cluster adapter the offsets also carry origin positions (origin-offsets.ts), so a node can
// serve a client of a crashed node from its own log.
import { OriginClock, parseOriginOffset, type Origin } from "./origin-offsets.ts";
import type { BroadcastOptions, PersistedSession, RestoredSession, Room } from "./types.ts";

type StoredPacket = {
  offset: string;
  emittedAt: number;
  data: unknown[];
  rooms: Room[];
  except: Room[];
  /** Set for broadcasts one of our nodes originated (under a cluster adapter). */
  origin: Origin | undefined;
};

/** Origins last logged longer ago than the window and this are forgotten (every log has dropped their packets by then). */
const ORIGIN_GRACE_MS = 60_000;

export class RecoveryStore {
  private readonly sessions = new Map<string, { session: PersistedSession; disconnectedAt: number }>();
  private packets: StoredPacket[] = [];
  private readonly prefix = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url");
  private counter = 0;
  private readonly sweeper: Timer;
  private clock: OriginClock | undefined;

  /** `onDropped`: a kept session left the store (restored, handed over or expired). */
  constructor(
    private readonly window: number,
    private readonly onDropped: (pid: string) => void = () => {},
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(window, 60_000)));
    this.sweeper.unref();
  }

  /** From now on offsets carry origin positions, this node being `uid` (a cluster adapter calls it once). */
  identify(uid: string): void {
    this.clock ??= new OriginClock(uid);
  }

  /** Stores a broadcast and returns its data with the offset appended (what every receiver gets). */
  record(data: unknown[], options: BroadcastOptions, origin?: Origin): unknown[] {
    const emittedAt = Date.now();
    if (origin && this.clock) this.clock.advance(origin, emittedAt);
    const offset = `${this.prefix}-${(this.counter++).toString(36)}${this.clock?.suffix ?? ""}`;
    const tagged = [...data, offset];
    this.packets.push({ offset, emittedAt, data: tagged, rooms: [...options.rooms], except: [...(options.except ?? [])], origin });
    return tagged;
  }

  persist(session: PersistedSession): void {
    this.sessions.set(session.pid, { session, disconnectedAt: Date.now() });
  }

  restore(pid: string, offset: string): RestoredSession | undefined {
    const entry = this.sessions.get(pid);
    if (!entry) return undefined;
    this.sessions.delete(pid);
    this.onDropped(pid);
    if (Date.now() - entry.disconnectedAt > this.window) return undefined;
    const rooms = new Set(entry.session.rooms);
    const index = this.packets.findIndex((p) => p.offset === offset);
    // An offset of another of our nodes (the session came here from it): read by origin positions.
    // Any other offset we no longer (or never) had: the gap cannot be filled, so no recovery.
    const missedPackets = index === -1 ? this.missedSince(offset, rooms) : this.reaching(this.packets.slice(index + 1), rooms);
    return missedPackets ? { ...entry.session, missedPackets } : undefined;
  }

  /**
   * The packets of this log a client of another of our nodes missed, from the offset it got last
   * there: those of our origins numbered after what its node had logged. Undefined when that cannot
   * be told exactly: no packet of the offset's positions is in this log within the window (too old,
   * or this node was not listening then), or a packet no node of ours numbered (a stock node's)
   * reaching the client came after them.
   */
  missedSince(offset: string, rooms: ReadonlySet<Room>): unknown[][] | undefined {
    const position = parseOriginOffset(offset);
    if (!position) return undefined;
    const threshold = Date.now() - this.window;
    let anchor = -1;
    for (let i = this.packets.length - 1; i >= 0; i--) {
      const origin = this.packets[i]?.origin;
      if (origin && position.seen.get(origin.uid) === origin.seq) {
        anchor = i;
        break;
      }
    }
    const anchored = this.packets[anchor];
    if (!anchored || anchored.emittedAt < threshold) return undefined;
    const missed: unknown[][] = [];
    for (let i = 0; i < this.packets.length; i++) {
      const packet = this.packets[i];
      if (!packet || packet.emittedAt < threshold || !reaches(rooms, packet)) continue;
      if (!packet.origin) {
        if (i > anchor) return undefined;
        continue;
      }
      if (packet.origin.seq > (position.seen.get(packet.origin.uid) ?? -1)) missed.push(packet.data);
    }
    return missed;
  }

  private reaching(packets: StoredPacket[], rooms: ReadonlySet<Room>): unknown[][] {
    return packets.filter((packet) => reaches(rooms, packet)).map((packet) => packet.data);
  }

  private sweep(): void {
    const threshold = Date.now() - this.window;
    for (const [pid, entry] of this.sessions) {
      if (entry.disconnectedAt >= threshold) continue;
      this.sessions.delete(pid);
      this.onDropped(pid);
    }
    const firstKept = this.packets.findIndex((p) => p.emittedAt >= threshold);
    this.packets = firstKept === -1 ? [] : this.packets.slice(firstKept);
    this.clock?.prune(threshold - ORIGIN_GRACE_MS);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.packets = [];
  }
}

function reaches(rooms: ReadonlySet<Room>, packet: StoredPacket): boolean {
  return packetReaches(rooms, { rooms: new Set(packet.rooms), except: new Set(packet.except) });
}

/** Whether a broadcast with these options reaches a socket in `rooms` (its own id among them). */
export function packetReaches(rooms: ReadonlySet<Room>, options: BroadcastOptions): boolean {
  const targeted = options.rooms.size === 0 || [...options.rooms].some((room) => rooms.has(room));
  const excluded = [...(options.except ?? [])].some((room) => rooms.has(room));
  return targeted && !excluded;
}
