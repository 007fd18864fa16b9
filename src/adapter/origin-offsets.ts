// Offsets that one of our nodes can read from another's log: every broadcast one of our nodes originates
// carries its sequence number beside the packet on the bus, and the offset a client holds names, for
// each origin, the last sequence number its node had logged. Lets a surviving node tell which of
// its own log's packets a client of a crashed node had already received.

/** Who sent a broadcast first, and its number among that node's broadcasts (our nodes only). */
export type Origin = { uid: string; seq: number };

/** A client's offset read back: the node that gave it, and the last sequence number per origin it had logged then. */
export type OriginPosition = { holder: string; seen: ReadonlyMap<string, number> };

const UID = /^[A-Za-z0-9]{1,64}$/;
const SEQ = /^[0-9]{1,15}$/;
/** Client input: a longer offset or more origins than this is not one of ours. */
const MAX_OFFSET_LENGTH = 4096;
const MAX_ORIGINS = 128;

/**
 * The last sequence number this node logged per origin, written into every offset it hands out as
 * `~<this node>~<origin>.<seq>~…` after its own log key. Rebuilt only when a number changed.
 */
export class OriginClock {
  /** Per origin, in the order first heard: its last number, when, and its part of the suffix (`~uid.seq`, made once per number). */
  private slots: { uid: string; seq: number; at: number; text: string }[] = [];
  private readonly byUid = new Map<string, { uid: string; seq: number; at: number; text: string }>();
  private cached: string | undefined;

  constructor(readonly node: string) {}

  advance(origin: Origin, at: number): void {
    let slot = this.byUid.get(origin.uid);
    if (!slot) {
      slot = { uid: origin.uid, seq: 0, at, text: "" };
      this.byUid.set(origin.uid, slot);
      this.slots.push(slot);
    }
    slot.seq = origin.seq;
    slot.at = at;
    slot.text = `~${origin.uid}.${origin.seq}`;
    this.cached = undefined;
  }

  /** What follows a log key in an offset. */
  get suffix(): string {
    if (this.cached !== undefined) return this.cached;
    let suffix = `~${this.node}`;
    for (const slot of this.slots) suffix += slot.text;
    return (this.cached = suffix);
  }

  /** Forgets origins not heard from since `threshold` (nodes that stopped, whose packets left every log). */
  prune(threshold: number): void {
    const kept = this.slots.filter((slot) => slot.at >= threshold);
    if (kept.length === this.slots.length) return;
    for (const slot of this.slots) if (slot.at < threshold) this.byUid.delete(slot.uid);
    this.slots = kept;
    this.cached = undefined;
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
    seen.set(uid, Number.parseInt(seq, 10));
  }
  return { holder, seen };
}
