// message:send: a participant who joined the room on this socket sends; the stored message goes to
// the whole room, sender included, and is the ack's data.
import { requireJoined, roomChannel } from "./channels.ts";
import { onEvent, type SocketContext } from "./event-handler.ts";
import { roomMessagePayload } from "./payloads.ts";
import { messageSendPayload } from "./schemas.ts";

export function registerMessageEvents(ctx: SocketContext): void {
  const { io, socket, user, chat } = ctx;

  onEvent(ctx, "message:send", messageSendPayload, async ({ roomId, text, clientId }) => {
    requireJoined(socket, roomId, "sending messages");
    const { message, created } = await chat.roomMessages.send({ userId: user.id, roomId, text, clientId });
    const payload = roomMessagePayload(message, user);
    // A retry with a known clientId gets the stored message back; the room had it the first time.
    if (created) io.to(roomChannel(message.roomId)).emit("message:received", payload);
    return payload;
  });
}
