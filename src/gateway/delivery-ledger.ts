// Which chat messages (room messages and DMs, one id sequence) this node has delivered to its
// sockets, so that a catch-up after a bus outage and the bus itself never deliver one twice; and
// this node's own recent broadcasts, to publish again when its publishing connection was down.
// It sits in front of every broadcast (ServerOptions.admitBroadcast); other events pass untouched.
// While a catch-up reads the store, other nodes' messages arriving live wait for it (they are newer).
import type { BroadcastOptions } from "../socketio/index.ts";

/** Ids remembered: far more than a bus outage of a few seconds leaves to catch up on. */
const REMEMBERED_IDS = 20_000;

/** How long this node's own broadcasts are kept for publishing again (longer than an outage's detection). */
const OUTBOX_MS = 60_000;

/**
 * How long a message's commit may trail the delivery here of a higher id from another node: ids come
 * from one sequence at insert, and a slow transaction commits (and publishes) after faster later ones.
 * Also covers how late a bus drop is noticed. A catch-up starts from the mark as it was this long ago.
 */
const LATE_COMMIT_MS = 5000;

const DEDUPLICATED_EVENTS = new Set(["message:received", "dm:received"]);

export type DeliveryLedger = ReturnType<typeof createDeliveryLedger>;

/** A broadcast held back while a catch-up ran, to deliver after it. */
export type HeldBroadcast = { data: readonly unknown[]; options: BroadcastOptions };

export function createDeliveryLedger(capacity = REMEMBERED_IDS, now: () => number = Date.now) {
  // Insertion order is delivery order: the oldest ids are forgotten first.
  const delivered = new Set<number>();
  const own = new Set<number>();
  // The highest id delivered that came from another node (or the store's highest at start):
  // messages above it are what an outage of the bus can have lost.
  let remoteHigh = 0;
  // How the mark rose, oldest first (from `markHead`): the one before the last LATE_COMMIT_MS is where a catch-up starts.
  let marks: { at: number; high: number }[] = [{ at: -Infinity, high: 0 }];
  let markHead = 0;
  // Raised at start to the store's highest id: below it is history, never caught up on.
  let floor = 0;
  // The highest id forgotten: ids above it delivered here are all still remembered, so a catch-up
  // starting there delivers none of them twice.
  let forgottenHigh = 0;
  // This node's own broadcasts, oldest first (from `head`): what to publish again.
  let outbox: { at: number; resend: () => void }[] = [];
  let head = 0;
  // Set while a catch-up runs: other nodes' messages that arrive meanwhile, in arrival order.
  let held: HeldBroadcast[] | undefined;
  let passing = false;

  const remember = (id: number): void => {
    delivered.add(id);
    if (delivered.size > capacity) {
      for (const oldest of delivered) {
        delivered.delete(oldest);
        if (oldest > forgottenHigh) forgottenHigh = oldest;
        break;
      }
    }
  };

  const admitMark = (id: number): void => {
    if (id <= remoteHigh) return;
    remoteHigh = id;
    const at = now();
    const last = marks[marks.length - 1];
    if (last && last.at === at) last.high = id;
    else marks.push({ at, high: id });
    // One mark from before the lookback is enough: it is where a catch-up starting now would begin.
    while ((marks[markHead + 1]?.at ?? at) <= at - LATE_COMMIT_MS) markHead++;
    if (markHead > 1024) {
      marks = marks.slice(markHead);
      markHead = 0;
    }
  };

  return {
    /** ServerOptions.admitBroadcast: a chat message goes to this node's sockets once. */
    admit(data: readonly unknown[], options: BroadcastOptions): boolean {
      const [event, payload] = data;
      if (typeof event !== "string" || !DEDUPLICATED_EVENTS.has(event)) return true;
      const id = typeof payload === "object" && payload !== null && "id" in payload ? payload.id : undefined;
      if (typeof id !== "number") return true;
      if (delivered.has(id)) return false;
      // Delivered now, it would reach the sockets before older messages of its sender the catch-up
      // is still reading: it waits, and is delivered after them (or dropped, if the catch-up had it).
      if (held && !passing && !own.has(id)) {
        held.push({ data, options });
        return false;
      }
      remember(id);
      if (!own.delete(id)) admitMark(id);
      return true;
    },

    /**
     * The next broadcast of `id` is this node's own (its sender is here): it never comes from the
     * bus. `resend` broadcasts it again, for nodes that missed it while this node could not publish.
     */
    sent(id: number, resend: () => void): void {
      own.add(id);
      if (own.size > capacity) own.clear();
      const at = now();
      outbox.push({ at, resend });
      while (head < outbox.length && (outbox.length - head > capacity || (outbox[head]?.at ?? at) < at - OUTBOX_MS)) head++;
      if (head > 1024) {
        outbox = outbox.slice(head);
        head = 0;
      }
    },

    /** Broadcasts again this node's own messages sent since `since` (ms); answers how many. */
    resendSince(since: number): number {
      let count = 0;
      for (let i = head; i < outbox.length; i++) {
        const entry = outbox[i];
        if (entry && entry.at >= since) {
          entry.resend();
          count++;
        }
      }
      return count;
    },

    /** From now on other nodes' messages wait until `release()`; a catch-up delivers through `pass`. */
    hold(): void {
      held ??= [];
    },

    /** Delivers what `deliver` broadcasts without holding it (the catch-up's own messages, older than any held). */
    pass(deliver: () => void): void {
      passing = true;
      try {
        deliver();
      } finally {
        passing = false;
      }
    },

    /** Stops holding; answers what waited, in arrival order, for the caller to broadcast again. */
    release(): HeldBroadcast[] {
      const waited = held ?? [];
      held = undefined;
      return waited;
    },

    delivered(id: number): boolean {
      return delivered.has(id);
    },

    /** The highest id delivered here from another node (or raised to): nothing above it is known to have arrived. */
    get remoteHigh(): number {
      return remoteHigh;
    },

    /**
     * Where a catch-up starts: the mark as it was LATE_COMMIT_MS ago, so a message committed late
     * with an id below a newer one delivered since is read back too (the ids delivered since are
     * remembered, and dropped again); never below an id this ledger has forgotten.
     */
    catchUpFrom(): number {
      const since = now() - LATE_COMMIT_MS;
      let from = 0;
      for (let i = markHead; i < marks.length; i++) {
        const mark = marks[i];
        if (!mark || mark.at > since) break;
        from = mark.high;
      }
      return Math.max(from, forgottenHigh, floor);
    },

    /** Raises the mark (the store's highest id at start: older messages are history, not news). */
    raise(id: number): void {
      if (id > floor) floor = id;
      if (id > remoteHigh) remoteHigh = id;
    },
  };
}
