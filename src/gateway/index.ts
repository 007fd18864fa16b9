// The realtime gateway: installs the handshake authentication and the seed's socket handlers on a
// Socket.IO server, over the chat use cases. Per-node state (presence counts, work in flight) lives
// in the returned Gateway, created by the composition root.
import { UnavailableError } from "../chat/errors.ts";
import type { ChatServices } from "../chat/index.ts";
import type { ClusterPresence, Timers } from "../chat/ports.ts";
import { createPresenceTracker, type PresenceTracker } from "../chat/presence-tracker.ts";
import type { Logger } from "../lib/logger.ts";
import { createInflight } from "../lib/inflight.ts";
import { createKeyedSerialQueue } from "../lib/serial-queue.ts";
import { tokenBucket } from "../lib/token-bucket.ts";
import { createBusCatchUp, type BusCatchUp } from "./bus-catch-up.ts";
import { onConnection } from "./connection.ts";
import type { DeliveryLedger } from "./delivery-ledger.ts";
import type { GatewayShared } from "./event-handler.ts";
import { authenticateHandshake } from "./handshake-auth.ts";
import { createPresenceAnnouncer } from "./presence-announcer.ts";
import { createSessionExpiry } from "./session-expiry.ts";
import type { GatewayServer } from "./types.ts";

export { createRealtimeNotifier } from "./realtime-notifier.ts";
export { createDeliveryLedger, type DeliveryLedger } from "./delivery-ledger.ts";
export type { GatewayServer, GatewaySocket, SocketData, SocketUser } from "./types.ts";
export { CLIENT_EVENTS, SERVER_EVENTS } from "./types.ts";

export type GatewayDeps = {
  chat: ChatServices;
  logger: Logger;
  timers: Timers;
  /** How long a typing indicator lasts without a new typing:start; 5 s unless given (tests). */
  typingExpiryMs?: number;
  limits: { socketEventsPerSecond: number; socketEventBurst: number; roomsPerSocket: number };
  /** Connection counts across the cluster's nodes (src/cluster); without it presence is this node's. */
  clusterPresence?: ClusterPresence;
  /** Under a cluster adapter: the ledger the server admits broadcasts through (ServerOptions.admitBroadcast). */
  ledger?: DeliveryLedger;
};

export type Gateway = {
  /**
   * Begins a graceful shutdown: from now on client events are answered UNAVAILABLE and handshakes
   * refused; resolves once the handshakes and events already in flight are answered.
   */
  drain(): Promise<void>;
  /** Resolves once handshakes, client events and presence writes in flight have finished (shutdown). */
  settled(): Promise<void>;
  /** Who is online through this node (the cluster's presence sync reads and settles it). */
  presence: PresenceTracker;
  /** With a ledger: catching up on what a bus outage lost (the app calls it on the bus's drops). */
  busCatchUp: BusCatchUp | undefined;
};

export function installGateway(io: GatewayServer, deps: GatewayDeps): Gateway {
  const inflight = createInflight();
  const announcer = createPresenceAnnouncer(io, deps.timers);
  const presence = createPresenceTracker({
    record: (userId, status, at) => deps.chat.presence.record(userId, status, at),
    announce: (userId, status) => announcer.announce(userId, status),
    // During an outage (database or bus) every connect and disconnect fails: the outage itself is logged once (src/db/health.ts, the Redis connection).
    onError: (error, context) =>
      context.cluster
        ? deps.logger.debug("presence decided by this node: the cluster did not answer", { ...context, error })
        : error instanceof UnavailableError
          ? deps.logger.debug("presence not stored: database unavailable", context)
          : deps.logger.error("presence update failed", { ...context, error }),
    ...(deps.clusterPresence ? { cluster: deps.clusterPresence } : {}),
  });

  const shared: GatewayShared = {
    io,
    chat: deps.chat,
    logger: deps.logger,
    timers: deps.timers,
    presence,
    expiry: createSessionExpiry(deps.timers),
    inflight,
    draining: false,
    typingExpiryMs: deps.typingExpiryMs,
    eventRate: tokenBucket(deps.limits.socketEventsPerSecond, deps.limits.socketEventBurst),
    roomsPerSocket: deps.limits.roomsPerSocket,
    ledger: deps.ledger,
    announcements: createKeyedSerialQueue(),
  };
  io.use(authenticateHandshake(deps.chat.sessions, deps.logger, inflight, () => shared.draining));
  io.on("connection", (socket) => onConnection(shared, socket));

  return {
    drain() {
      shared.draining = true;
      return inflight.idle();
    },
    async settled() {
      await Promise.all([inflight.idle(), presence.idle()]);
      announcer.flush();
    },
    presence,
    busCatchUp: deps.ledger ? createBusCatchUp(io, deps.chat, deps.ledger, deps.logger) : undefined,
  };
}
