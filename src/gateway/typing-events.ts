// typing:start / typing:stop for rooms joined on this socket; the indicator (src/chat/typing.ts)
// coalesces bursts and expires by itself, and announces to the others in the room. A socket gets
// its indicator the first time it types.
import { createTypingIndicator, type TypingIndicator } from "../chat/typing.ts";
import { requireJoined, roomChannel } from "./channels.ts";
import { defineEvent, type SocketContext } from "./event-handler.ts";
import { typingPayload } from "./schemas.ts";

function typingOf(ctx: SocketContext): TypingIndicator {
  if (ctx.typing) return ctx.typing;
  const { shared, socket, user } = ctx;
  const typing = createTypingIndicator({
    timers: shared.timers,
    expiryMs: shared.typingExpiryMs,
    announce: (roomId, isTyping) =>
      socket.to(roomChannel(roomId)).emit("typing:update", { roomId, userId: user.id, firstName: user.firstName, isTyping }),
  });
  // While disconnecting the socket is still in its rooms, so "stopped typing" reaches them.
  socket.on("disconnecting", () => typing.stopAll());
  ctx.typing = typing;
  return typing;
}

export const typingStart = defineEvent({
  schema: typingPayload,
  handle(ctx, { roomId }) {
    requireJoined(ctx.socket, roomId, "typing in it");
    typingOf(ctx).start(roomId);
    return { roomId, isTyping: true };
  },
});

export const typingStop = defineEvent({
  schema: typingPayload,
  handle(ctx, { roomId }) {
    requireJoined(ctx.socket, roomId, "typing in it");
    ctx.typing?.stop(roomId);
    return { roomId, isTyping: false };
  },
});
