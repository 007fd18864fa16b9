// One authenticated socket's life: it joins its user channel, counts for presence, is disconnected
// when its token expires, and handles the client events (one listener routing to the shared
// handlers). A socket that types also clears its typing state on disconnect (typing-events.ts).
import { dmSend } from "./dm-events.ts";
import { dispatchEvent, type EventDefinition, type GatewayShared, type SocketContext } from "./event-handler.ts";
import { messageSend } from "./message-events.ts";
import { roomJoin, roomLeave } from "./room-events.ts";
import { typingStart, typingStop } from "./typing-events.ts";
import { userChannel } from "./channels.ts";
import type { ClientEventName, GatewaySocket } from "./types.ts";

const CLIENT_EVENT_HANDLERS: Readonly<Record<ClientEventName, EventDefinition>> = {
  "room:join": roomJoin,
  "room:leave": roomLeave,
  "message:send": messageSend,
  "dm:send": dmSend,
  "typing:start": typingStart,
  "typing:stop": typingStop,
};

export function onConnection(shared: GatewayShared, socket: GatewaySocket): void {
  const { user, sessionExpiresAt } = socket.data;
  // The handshake middleware set both; a socket without them must not stay.
  if (!user || sessionExpiresAt === undefined) {
    socket.disconnect(true);
    return;
  }
  const ctx: SocketContext = { shared, socket, user, events: undefined, typing: undefined, expiry: undefined, bucket: undefined };
  socket.join(userChannel(user.id));
  void shared.presence.connected(user.id);
  ctx.expiry = shared.expiry.arm(socket, sessionExpiresAt);
  listen(ctx);
}

// The listeners close over the context alone (a scope of its own): one small environment per
// socket instead of two, which thousands of sockets notice.
function listen(ctx: SocketContext): void {
  ctx.socket.onAny((event, ...args) => dispatchEvent(ctx, CLIENT_EVENT_HANDLERS, event, args));
  ctx.socket.on("disconnect", () => {
    if (ctx.expiry) ctx.shared.expiry.disarm(ctx.expiry);
    void ctx.shared.presence.disconnected(ctx.user.id);
  });
}
