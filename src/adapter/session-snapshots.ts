// Connection state recovery after a node's crash: this node's sessions (sid, rooms, data) written to
// the cluster's shared store (Redis or Postgres) when a socket connects and when its rooms change,
// batched per tick and written in order, and removed when the session ends here. A node that sees
// this one dead may take a session over from its snapshot.
import type { AdapterHost, AdapterSocket, PersistedSession, Room, SocketId } from "./types.ts";

export type Snapshot = { sid: SocketId; rooms: Room[]; data: unknown };

/** Where one node's snapshots live; each call is made after the previous one settled. */
export interface SnapshotStore {
  /** Writes these snapshots (pid → JSON) of this node's sessions and removes those pids. */
  save(written: ReadonlyMap<string, string>, removed: readonly string[]): Promise<void>;
  /** Extends this node's lease: its snapshots outlive it by at least the recovery window. */
  renew(): Promise<void>;
  /** Stops the store's own timers, if it has any. */
  close?(): void;
}

/** A snapshot read back from the store (written by one of our nodes; still checked). */
export function snapshotOf(json: unknown): Snapshot | undefined {
  if (typeof json !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { sid, rooms, data } = value as Record<string, unknown>;
  if (typeof sid !== "string" || !Array.isArray(rooms) || !rooms.every((room) => typeof room === "string")) return undefined;
  return { sid, rooms, data };
}

/** How often a node renews its lease for a recovery window (at least once a third of it, at most every 5 s). */
export function leaseInterval(window: number): number {
  return Math.max(50, Math.min(5000, Math.floor(window / 3)));
}

/** How long a node's snapshots outlive its last renewal: the window, and room for late renewals. */
export function leaseTtl(window: number): number {
  return window + 3 * leaseInterval(window);
}

export class SessionSnapshots {
  /** The pid of each socket attached here with one. */
  private readonly live = new Map<SocketId, string>();
  /** What to write per pid at the next flush: a live socket's id, a session kept after it dropped, or null to remove. */
  private readonly dirty = new Map<string, SocketId | PersistedSession | null>();
  private scheduled = false;
  private saving: Promise<void> = Promise.resolve();
  private readonly renewal: Timer;
  private closed = false;

  constructor(
    private readonly host: AdapterHost,
    private readonly roomsOf: (sid: SocketId) => ReadonlySet<Room> | undefined,
    private readonly store: SnapshotStore,
    window: number,
    private readonly onError: (error: unknown, context: string) => void,
  ) {
    this.renew();
    this.renewal = setInterval(() => this.renew(), leaseInterval(window));
    this.renewal.unref();
  }

  attached(socket: AdapterSocket): void {
    if (socket.pid === undefined) return;
    this.live.set(socket.id, socket.pid);
    this.mark(socket.pid, socket.id);
  }

  roomsChanged(sid: SocketId): void {
    const pid = this.live.get(sid);
    if (pid !== undefined) this.mark(pid, sid);
  }

  /** The socket dropped and its session is kept here for the window: its last rooms and data. */
  persisted(session: PersistedSession): void {
    if (this.live.get(session.sid) === session.pid) this.live.delete(session.sid);
    this.mark(session.pid, session);
  }

  /** The socket is gone without its session being kept (a client or server disconnect). */
  detached(sid: SocketId): void {
    const pid = this.live.get(sid);
    if (pid === undefined) return;
    this.live.delete(sid);
    this.mark(pid, null);
  }

  /** A kept session left this node (restored, handed over, expired). */
  dropped(pid: string): void {
    this.mark(pid, null);
  }

  /**
   * Stops writing: what is pending is dropped (the bus clients are ended next). The snapshots stay
   * until the lease runs out: a node that said goodbye leaves its kept sessions to the others.
   */
  close(): void {
    this.closed = true;
    clearInterval(this.renewal);
    this.store.close?.();
  }

  private mark(pid: string, what: SocketId | PersistedSession | null): void {
    if (this.closed) return;
    this.dirty.set(pid, what);
    if (this.scheduled) return;
    this.scheduled = true;
    // One write per tick, after the handlers that join rooms and set data on connection ran.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.dirty.size === 0 || this.closed) return;
    const written = new Map<string, string>();
    const removed: string[] = [];
    for (const [pid, what] of this.dirty) {
      const json = what === null ? undefined : this.snapshotJson(what);
      if (json === undefined) removed.push(pid);
      else written.set(pid, json);
    }
    this.dirty.clear();
    this.enqueue(() => this.store.save(written, removed), "writing session snapshots");
  }

  private snapshotJson(what: SocketId | PersistedSession): string | undefined {
    let snapshot: Snapshot;
    if (typeof what === "string") {
      const socket = this.host.sockets.get(what);
      if (!socket) return undefined;
      snapshot = { sid: what, rooms: [...(this.roomsOf(what) ?? [what])], data: socket.data };
    } else snapshot = { sid: what.sid, rooms: what.rooms, data: what.data };
    try {
      return JSON.stringify(snapshot);
    } catch {
      // Data JSON cannot carry (a cycle, a BigInt): no snapshot, so after a crash a fresh session.
      return undefined;
    }
  }

  private renew(): void {
    this.enqueue(() => this.store.renew(), "renewing the session lease");
  }

  private enqueue(step: () => Promise<void>, context: string): void {
    this.saving = this.saving
      .then(() => (this.closed ? undefined : step()))
      .catch((error: unknown) => {
        // A write cut short by the client's end after close is no loss.
        if (!this.closed) this.onError(error, context);
      });
  }
}
