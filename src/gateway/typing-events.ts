// typing:start / typing:stop for rooms joined on this socket; the indicator (src/chat/typing.ts)
// coalesces bursts and expires by itself, and announces to the others in the room.
import { requireJoined } from "./channels.ts";
import { onEvent, type SocketContext } from "./event-handler.ts";
import { typingPayload } from "./schemas.ts";

export function registerTypingEvents(ctx: SocketContext): void {
  const { socket, typing } = ctx;

  onEvent(ctx, "typing:start", typingPayload, ({ roomId }) => {
    requireJoined(socket, roomId, "typing in it");
    typing.start(roomId);
    return { roomId, isTyping: true };
  });

  onEvent(ctx, "typing:stop", typingPayload, ({ roomId }) => {
    requireJoined(socket, roomId, "typing in it");
    typing.stop(roomId);
    return { roomId, isTyping: false };
  });
}
