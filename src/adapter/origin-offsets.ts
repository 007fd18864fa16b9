// Offsets that one of our nodes can read from another's log: every broadcast an our node originates
// carries its sequence number beside the packet on the bus, and the offset a client holds names, for
// each origin, the last sequence number its node had logged. Lets a surviving node tell which of
// its own log's packets a client of a crashed node had already received.

/** Who sent a broadcast first, and its number among that node's broadcasts (our nodes only). */
export type Origin = { uid: string; seq: number };

/** A client's offset read back: the node that gave it, and the last sequence number per origin it had logged then. */
export type OriginPosition = { holder: string; seen: ReadonlyMap<string, number> };

const UID = /^[A-Za-z0-9]{1,64}$/;
const SEQ = /^[0-9a-z]{1,11}$/;
/** Client input: a longer offset or more origins than this is not one of ours. */
const MAX_OFFSET_LENGTH = 4096;
const MAX_ORIGINS = 128;

/**
 * The last sequence number this node logged per origin, written into every offset it hands out as
 * `~<this node>~<origin>.<seq>~…` after its own log key. Rebuilt only when a number changed.
 */
export class OriginClock {
  private readonly latest = new Map<string, { seq: number; at: number }>();
  private cached: string | undefined;

  constructor(readonly node: string) {}

  advance(origin: Origin, at: number): void {
    this.latest.set(origin.uid, { seq: origin.seq, at });
    this.cached = undefined;
  }

  /** What follows a log key in an offset. */
  get suffix(): string {
    if (this.cached !== undefined) return this.cached;
    let suffix = `~${this.node}`;
    for (const [uid, { seq }] of this.latest) suffix += `~${uid}.${seq.toString(36)}`;
    return (this.cached = suffix);
  }

  /** Forgets origins not heard from since `threshold` (nodes that stopped, whose packets left every log). */
  prune(threshold: number): void {
    for (const [uid, { at }] of this.latest) {
      if (at >= threshold) continue;
      this.latest.delete(uid);
      this.cached = undefined;
    }
  }
}

/** Reads an offset written with an OriginClock suffix; undefined for any other string (a single node's, a stock node's, garbage). */
export function parseOriginOffset(offset: string): OriginPosition | undefined {
  if (offset.length > MAX_OFFSET_LENGTH) return undefined;
  const parts = offset.split("~");
  const holder = parts[1];
  if (holder === undefined || !UID.test(holder) || parts.length - 2 > MAX_ORIGINS) return undefined;
  const seen = new Map<string, number>();
  for (const part of parts.slice(2)) {
    const dot = part.indexOf(".");
    const uid = part.slice(0, dot);
    const seq = part.slice(dot + 1);
    if (dot === -1 || !UID.test(uid) || !SEQ.test(seq)) return undefined;
    seen.set(uid, Number.parseInt(seq, 36));
  }
  return { holder, seen };
}
