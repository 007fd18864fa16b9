// After this node's bus connections dropped and came back. Subscribing: the room messages and DMs
// other nodes broadcast meanwhile never reached it; they are read back from the store (ids above the
// last one delivered here from another node a few seconds before the drop, so that a message
// committed late with an id below one delivered since is found too) and delivered to this node's
// sockets only. Publishing: its own broadcasts since shortly before the drop go out again
// (publish-catch-up.ts). The ledgers drop whatever the bus or an earlier delivery brought already,
// so no client gets one twice; and hold back what the bus brings live while the store is read, so
// each sender's messages stay in order.
import type { ChatServices } from "../chat/index.ts";
import type { Logger } from "../lib/logger.ts";
import { roomChannel, userChannel } from "./channels.ts";
import type { DeliveryLedger } from "./delivery-ledger.ts";
import { toSocketUser } from "./payloads.ts";
import { createPublishCatchUp } from "./publish-catch-up.ts";
import type { GatewayServer } from "./types.ts";

const PAGE = 500;
/** More than this many missed messages is no outage of seconds: the rest is left to history (logged). */
const MAX_MISSED = 10_000;
/**
 * Pages read at most. The catch-up starts seconds before the drop (delivery-ledger.ts), so it re-reads
 * messages delivered already; they do not count as missed, but the reading stops here in any case.
 */
const MAX_PAGES = 60;

export type BusCatchUp = ReturnType<typeof createBusCatchUp>;

export function createBusCatchUp(io: GatewayServer, chat: ChatServices, ledger: DeliveryLedger, logger: Logger, now: () => number = Date.now) {
  // Where the catch-up reads from, taken when the drop was noticed; undefined while the bus is up.
  let from: number | undefined;
  let running: Promise<void> = Promise.resolve();
  const publishing = createPublishCatchUp(ledger, logger, now);

  /** Rooms and users this node's sockets are in now (their channels, by prefix). */
  function targets(): { roomIds: string[]; userIds: string[] } {
    const roomIds: string[] = [];
    const userIds: string[] = [];
    for (const channel of io.of("/").adapter.rooms.keys()) {
      if (channel.startsWith("room:")) roomIds.push(channel.slice("room:".length));
      else if (channel.startsWith("user:")) userIds.push(channel.slice("user:".length));
    }
    return { roomIds, userIds };
  }

  async function catchUp(after: number): Promise<void> {
    let cursor = after;
    let delivered = 0;
    for (let page = 0; page < MAX_PAGES && delivered < MAX_MISSED; page++) {
      const batch = await chat.catchUp.after(cursor, targets(), PAGE);
      for (const { message, sender } of batch) {
        cursor = message.id;
        if (ledger.delivered(message.id)) continue;
        const common = { id: message.id, sender: toSocketUser(sender), text: message.text, createdAt: message.createdAt, clientId: message.clientId };
        const { roomId, recipientId } = message;
        if (message.type === "room" && roomId !== null) {
          ledger.pass(() => io.local.to(roomChannel(roomId)).emit("message:received", { ...common, roomId }));
          delivered++;
        } else if (message.type === "direct" && recipientId !== null) {
          ledger.pass(() => io.local.to([userChannel(recipientId), userChannel(message.senderId)]).emit("dm:received", { ...common, recipientId }));
          delivered++;
        }
      }
      if (batch.length < PAGE) {
        if (delivered > 0) logger.info("messages missed during a bus outage delivered", { messages: delivered });
        return;
      }
    }
    logger.warn("bus outage: more messages missed than one catch-up delivers; the rest is in the history", { delivered });
  }

  /** What the bus brought during the catch-up, after it: through the ledger again (it drops what the catch-up delivered). */
  function deliverHeld(): void {
    const adapter = io.of("/").adapter;
    for (const { data, options } of ledger.release()) {
      adapter.broadcast({ data: [...data] }, { ...options, flags: { ...options.flags, local: true } });
    }
  }

  return {
    /** The bus connection dropped: what arrives from now on may be incomplete. */
    dropped(): void {
      from ??= ledger.catchUpFrom();
    },

    /** The bus is back (subscribed again): delivers what the outage lost. */
    resumed(): Promise<void> {
      const after = from;
      if (after === undefined) return running;
      from = undefined;
      running = running
        .then(async () => {
          ledger.hold();
          try {
            await catchUp(after);
          } finally {
            deliverHeld();
          }
        })
        .catch((error: unknown) => {
          // The next reconnect tries again from the same mark.
          from = Math.min(from ?? after, after);
          logger.error("catching up after a bus outage failed", { error });
        });
      return running;
    },

    /** The publishing connection dropped: broadcasts from now on (and shortly before) may be lost. */
    publishDropped(): void {
      publishing.dropped();
    },

    /** The publishing connection is back: this node's own messages since the drop go out again. */
    publishResumed(): void {
      publishing.resumed();
    },

    /** Starts counting from the store's newest message (older ones are history, not news). */
    async start(): Promise<void> {
      ledger.raise(await chat.catchUp.latestId());
    },
  };
}
