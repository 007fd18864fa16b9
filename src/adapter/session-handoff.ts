// Connection state recovery across nodes: the request of our own ("who kept this session?") that a
// node sends when a client comes back with a session it does not know, and the checked answer.
import { packetReaches } from "./recovery-store.ts";
import type { BroadcastOptions, RestoredSession, Room, SocketId } from "./types.ts";

/**
 * Message types of our own, far above the official ones (Redis 0–9, Postgres 1–13): stock socket.io
 * nodes ignore a type they do not know, so they are not disturbed.
 */
export const HandoffType = {
  RESTORE_SESSION: 100,
  RESTORE_SESSION_RESPONSE: 101,
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The session in an answer, when it holds one that is well formed; undefined otherwise (a node that did not have it answers `session: null`). */
export function restoredSessionOf(value: unknown): RestoredSession | undefined {
  if (!isRecord(value)) return undefined;
  const { sid, pid, rooms, data, missedPackets } = value;
  if (typeof sid !== "string" || typeof pid !== "string") return undefined;
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === "string")) return undefined;
  if (!Array.isArray(missedPackets) || !missedPackets.every((packet) => Array.isArray(packet) && typeof packet[0] === "string")) return undefined;
  return { sid, pid, rooms, data, missedPackets };
}

/**
 * Waits for the other nodes' answers to one restore request: settles with the first session found,
 * or with undefined once every node asked said it has none, or at the timeout (a stock node never
 * answers; a client must not wait forever to be told its session is gone).
 */
export class SessionSearch {
  private remaining: number;
  private settled = false;
  private readonly timer: Timer;
  readonly result: Promise<RestoredSession | undefined>;
  private resolve: (session: RestoredSession | undefined) => void = () => {};

  constructor(asked: number, timeout: number) {
    this.remaining = asked;
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(() => this.settle(undefined), timeout);
    if (asked <= 0) this.settle(undefined);
  }

  /** One node's answer: its session, or undefined when it had none. */
  answer(session: RestoredSession | undefined): void {
    if (session) {
      this.settle(session);
      return;
    }
    if (--this.remaining <= 0) this.settle(undefined);
  }

  /** Ends the search without a session (the adapter is closing). */
  cancel(): void {
    this.settle(undefined);
  }

  get done(): boolean {
    return this.settled;
  }

  private settle(session: RestoredSession | undefined): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(session);
  }
}

type Recorded = { data: unknown[]; options: BroadcastOptions };

/**
 * The restore requests this node has in flight, by request id, and the sessions found that wait for
 * their socket. The bus orders everything: the node that had the session logged what the bus carried
 * before our request; what this node records after it (its own broadcasts from the moment it asks,
 * the others' once its own request came back) is added here, up to the moment the socket is attached.
 */
export class SessionSearches {
  private readonly searches = new Map<string, { search: SessionSearch; captured: Recorded[]; echoed: boolean }>();
  private readonly arriving = new Map<SocketId, { session: RestoredSession; rooms: Set<Room>; timer: Timer }>();

  /** `timeout`: for the answers; `arrival`: how long a found session waits for its socket (middlewares may be slow). */
  constructor(
    private readonly timeout: number,
    private readonly arrival: number,
  ) {}

  start(requestId: string, asked: number): Promise<RestoredSession | undefined> {
    const search = new SessionSearch(asked, this.timeout);
    const entry = { search, captured: [] as Recorded[], echoed: false };
    if (!search.done) this.searches.set(requestId, entry);
    return search.result.then((session) => {
      this.searches.delete(requestId);
      if (!session) return undefined;
      const rooms = new Set(session.rooms);
      for (const packet of entry.captured) if (packetReaches(rooms, packet.options)) session.missedPackets.push(packet.data);
      const timer = setTimeout(() => this.arriving.delete(session.sid), this.arrival);
      timer.unref();
      this.arriving.set(session.sid, { session, rooms, timer });
      return session;
    });
  }

  /** Our own restore request came back from the bus: from now on the other nodes' broadcasts are missing from the answer. */
  echoed(requestId: unknown): void {
    if (typeof requestId !== "string") return;
    const entry = this.searches.get(requestId);
    if (entry) entry.echoed = true;
  }

  /** An answer to one of our requests (from a node that had the session, or one that had not). */
  answer(requestId: unknown, session: unknown): void {
    if (typeof requestId !== "string") return;
    this.searches.get(requestId)?.search.answer(restoredSessionOf(session));
  }

  /** A broadcast this node logged (with its offset): sent here (`remote` false) or received from the bus. */
  recorded(data: unknown[], options: BroadcastOptions, remote: boolean): void {
    for (const entry of this.searches.values()) if (!remote || entry.echoed) entry.captured.push({ data, options });
    for (const { session, rooms } of this.arriving.values()) if (packetReaches(rooms, options)) session.missedPackets.push(data);
  }

  /** A socket was attached: if it is a session found here, what it gets from now on comes live. */
  attached(sid: SocketId): void {
    const waiting = this.arriving.get(sid);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.arriving.delete(sid);
  }

  close(): void {
    for (const { search } of this.searches.values()) search.cancel();
    this.searches.clear();
    for (const { timer } of this.arriving.values()) clearTimeout(timer);
    this.arriving.clear();
  }
}
