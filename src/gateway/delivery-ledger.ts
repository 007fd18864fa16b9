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
        break;
      }
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
      if (!own.delete(id) && id > remoteHigh) remoteHigh = id;
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

    /** Where a catch-up starts: nothing above it from another node is known to have arrived. */
    get remoteHigh(): number {
      return remoteHigh;
    },

    /** Raises the mark (the store's highest id at start: older messages are history, not news). */
    raise(id: number): void {
      if (id > remoteHigh) remoteHigh = id;
    },
  };
}
