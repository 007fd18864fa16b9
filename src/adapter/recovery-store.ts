// Connection state recovery for one namespace: the broadcasts of the last window (each tagged
// with an offset the client echoes back) and the sessions of sockets that dropped recently.
import type { BroadcastOptions, PersistedSession, RestoredSession, Room } from "./types.ts";

type StoredPacket = {
  offset: string;
  emittedAt: number;
  data: unknown[];
  rooms: Room[];
  except: Room[];
};

export class RecoveryStore {
  private readonly sessions = new Map<string, { session: PersistedSession; disconnectedAt: number }>();
  private packets: StoredPacket[] = [];
  private readonly prefix = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url");
  private counter = 0;
  private readonly sweeper: Timer;

  constructor(private readonly window: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(window, 60_000)));
    this.sweeper.unref();
  }

  /** Stores a broadcast and returns its data with the offset appended (what every receiver gets). */
  record(data: unknown[], options: BroadcastOptions): unknown[] {
    const offset = `${this.prefix}-${(this.counter++).toString(36)}`;
    const tagged = [...data, offset];
    this.packets.push({
      offset,
      emittedAt: Date.now(),
      data: tagged,
      rooms: [...options.rooms],
      except: [...(options.except ?? [])],
    });
    return tagged;
  }

  persist(session: PersistedSession): void {
    this.sessions.set(session.pid, { session, disconnectedAt: Date.now() });
  }

  restore(pid: string, offset: string): RestoredSession | undefined {
    const entry = this.sessions.get(pid);
    if (!entry) return undefined;
    this.sessions.delete(pid);
    if (Date.now() - entry.disconnectedAt > this.window) return undefined;
    const index = this.packets.findIndex((p) => p.offset === offset);
    // An offset we no longer (or never) had: the gap cannot be filled, so no recovery.
    if (index === -1) return undefined;
    const rooms = new Set(entry.session.rooms);
    const missedPackets: unknown[][] = [];
    for (const packet of this.packets.slice(index + 1)) {
      if (packetReaches(rooms, { rooms: new Set(packet.rooms), except: new Set(packet.except) })) missedPackets.push(packet.data);
    }
    return { ...entry.session, missedPackets };
  }

  private sweep(): void {
    const threshold = Date.now() - this.window;
    for (const [pid, entry] of this.sessions) if (entry.disconnectedAt < threshold) this.sessions.delete(pid);
    const firstKept = this.packets.findIndex((p) => p.emittedAt >= threshold);
    this.packets = firstKept === -1 ? [] : this.packets.slice(firstKept);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.packets = [];
  }
}

/** Whether a broadcast with these options reaches a socket in `rooms` (its own id among them). */
export function packetReaches(rooms: ReadonlySet<Room>, options: BroadcastOptions): boolean {
  const targeted = options.rooms.size === 0 || [...options.rooms].some((room) => rooms.has(room));
  const excluded = [...(options.except ?? [])].some((room) => rooms.has(room));
  return targeted && !excluded;
}
