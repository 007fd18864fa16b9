// One authenticated socket's life: it joins its user channel, counts for presence, is disconnected
// when its token expires, handles the client events, and on disconnect clears its typing state.
import type { ChatServices } from "../chat/index.ts";
import type { Timers } from "../chat/ports.ts";
import type { PresenceTracker } from "../chat/presence-tracker.ts";
import { createTypingIndicator } from "../chat/typing.ts";
import type { Logger } from "../lib/logger.ts";
import type { Inflight } from "../lib/inflight.ts";
import { createOrderedPipeline } from "../lib/ordered-pipeline.ts";
import { ackFailure } from "./acks.ts";
import { roomChannel, userChannel } from "./channels.ts";
import { registerDirectMessageEvents } from "./dm-events.ts";
import { takeAck, type SocketContext } from "./event-handler.ts";
import { registerMessageEvents } from "./message-events.ts";
import { registerRoomEvents } from "./room-events.ts";
import { disconnectAtExpiry } from "./session-expiry.ts";
import { registerTypingEvents } from "./typing-events.ts";
import { CLIENT_EVENTS, type GatewayServer, type GatewaySocket } from "./types.ts";

export type ConnectionDeps = {
  io: GatewayServer;
  chat: ChatServices;
  logger: Logger;
  presence: PresenceTracker;
  inflight: Inflight;
  timers: Timers;
  typingExpiryMs: number | undefined;
};

const KNOWN_EVENTS: ReadonlySet<string> = new Set(CLIENT_EVENTS);

export function onConnection(deps: ConnectionDeps, socket: GatewaySocket): void {
  const { user, sessionExpiresAt } = socket.data;
  // The handshake middleware set both; a socket without them must not stay.
  if (!user || !sessionExpiresAt) {
    socket.disconnect(true);
    return;
  }
  socket.join(userChannel(user.id));
  void deps.presence.connected(user.id);
  const disarmExpiry = disconnectAtExpiry(socket, sessionExpiresAt, deps.timers);
  const typing = createTypingIndicator({
    timers: deps.timers,
    expiryMs: deps.typingExpiryMs,
    announce: (roomId, isTyping) =>
      socket.to(roomChannel(roomId)).emit("typing:update", { roomId, userId: user.id, firstName: user.firstName, isTyping }),
  });

  const ctx: SocketContext = {
    io: deps.io,
    socket,
    user,
    chat: deps.chat,
    typing,
    logger: deps.logger,
    events: createOrderedPipeline(),
    inflight: deps.inflight,
  };
  registerRoomEvents(ctx);
  registerMessageEvents(ctx);
  registerDirectMessageEvents(ctx);
  registerTypingEvents(ctx);
  // Every event with an ack gets an answer, also one this server does not know.
  socket.onAny((event, ...args) => {
    if (KNOWN_EVENTS.has(event)) return;
    takeAck(args)?.(ackFailure({ code: "INVALID", message: "Unknown event" }));
  });

  // While disconnecting the socket is still in its rooms, so "stopped typing" reaches them.
  socket.on("disconnecting", () => typing.stopAll());
  socket.on("disconnect", () => {
    disarmExpiry();
    void deps.presence.disconnected(user.id);
  });
}
