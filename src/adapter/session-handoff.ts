// Connection state recovery across nodes: the request of our own ("who kept this session?") that a
// node sends when a client comes back with a session it does not know, and the checked answer.
import { packetReaches } from "./recovery-store.ts";
import type { Origin } from "./origin-offsets.ts";
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

/** How a search ended: the session found (if any), and the nodes that answered (by uid, when answers carry one). */
export type SearchOutcome = { session: RestoredSession | undefined; answered: ReadonlySet<string> };

/**
 * Waits for the other nodes' answers to one restore request: settles with the first session found,
 * or once every node asked said it has none (or is gone), or at the timeout (a stock node never
 * answers; a client must not wait forever to be told its session is gone). `asked`: how many nodes,
 * or which (then a node that goes away is no longer waited for).
 */
export class SessionSearch {
  private remaining: number;
  private readonly waitingFor: Set<string> | undefined;
  private readonly answered = new Set<string>();
  private settled = false;
  private readonly timer: Timer;
  readonly result: Promise<SearchOutcome>;
  private resolve: (outcome: SearchOutcome) => void = () => {};

  constructor(asked: number | ReadonlySet<string>, timeout: number) {
    this.waitingFor = typeof asked === "number" ? undefined : new Set(asked);
    this.remaining = typeof asked === "number" ? asked : asked.size;
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(() => this.settle(undefined), timeout);
    if (this.remaining <= 0) this.settle(undefined);
  }

  /** One node's answer: its session, or undefined when it had none. */
  answer(session: RestoredSession | undefined, from?: string): void {
    if (from !== undefined) this.answered.add(from);
    if (session) {
      this.settle(session);
      return;
    }
    if (this.waitingFor && from !== undefined) {
      if (!this.waitingFor.delete(from)) return;
      this.remaining = this.waitingFor.size;
    } else this.remaining--;
    if (this.remaining <= 0) this.settle(undefined);
  }

  /** A node asked is gone (heartbeat timeout, goodbye): its answer is not awaited any more. */
  gone(uid: string): void {
    if (!this.waitingFor?.delete(uid)) return;
    this.remaining = this.waitingFor.size;
    if (this.remaining <= 0) this.settle(undefined);
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
    this.resolve({ session, answered: this.answered });
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
  /** Found sessions waiting for their socket; `had`: per origin, the last number the client had (taken over from a dead node). */
  private readonly arriving = new Map<SocketId, { session: RestoredSession; rooms: Set<Room>; timer: Timer; had: ReadonlyMap<string, number> | undefined }>();

  /** `timeout`: for the answers; `arrival`: how long a found session waits for its socket (middlewares may be slow). */
  constructor(
    private readonly timeout: number,
    private readonly arrival: number,
  ) {}

  start(requestId: string, asked: number | ReadonlySet<string>): Promise<SearchOutcome> {
    const search = new SessionSearch(asked, this.timeout);
    const entry = { search, captured: [] as Recorded[], echoed: false };
    if (!search.done) this.searches.set(requestId, entry);
    return search.result.then((outcome) => {
      this.searches.delete(requestId);
      const { session } = outcome;
      if (!session) return outcome;
      const rooms = new Set(session.rooms);
      for (const packet of entry.captured) if (packetReaches(rooms, packet.options)) session.missedPackets.push(packet.data);
      this.hold(session);
      return outcome;
    });
  }

  /**
   * A session found for a socket about to attach here: what this node logs for it from now on is
   * added to its missed packets until the socket is attached. Returns how to let it go (a claim lost).
   */
  hold(session: RestoredSession, had?: ReadonlyMap<string, number>): () => void {
    const timer = setTimeout(() => this.arriving.delete(session.sid), this.arrival);
    timer.unref();
    const waiting = { session, rooms: new Set(session.rooms), timer, had };
    this.arriving.set(session.sid, waiting);
    return () => {
      clearTimeout(timer);
      if (this.arriving.get(session.sid) === waiting) this.arriving.delete(session.sid);
    };
  }

  /** A node is gone: searches no longer wait for its answer. */
  nodeGone(uid: string): void {
    for (const { search } of this.searches.values()) search.gone(uid);
  }

  /** Our own restore request came back from the bus: from now on the other nodes' broadcasts are missing from the answer. */
  echoed(requestId: unknown): void {
    if (typeof requestId !== "string") return;
    const entry = this.searches.get(requestId);
    if (entry) entry.echoed = true;
  }

  /** An answer to one of our requests (from a node that had the session, or one that had not), from the node `from` when known. */
  answer(requestId: unknown, session: unknown, from?: unknown): void {
    if (typeof requestId !== "string") return;
    this.searches.get(requestId)?.search.answer(restoredSessionOf(session), typeof from === "string" ? from : undefined);
  }

  /** A broadcast this node logged (with its offset): sent here (`remote` false) or received from the bus. */
  recorded(data: unknown[], options: BroadcastOptions, remote: boolean, origin?: Origin): void {
    for (const entry of this.searches.values()) if (!remote || entry.echoed) entry.captured.push({ data, options });
    for (const { session, rooms, had } of this.arriving.values()) {
      if (origin && had && origin.seq <= (had.get(origin.uid) ?? -1)) continue;
      if (packetReaches(rooms, options)) session.missedPackets.push(data);
    }
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
