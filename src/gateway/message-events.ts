// message:send: a participant who joined the room on this socket sends; the stored message goes to
// the whole room, sender included, and is the ack's data. The write is handed off to the message
// store's group commit, so a socket's next event need not wait for the database.
import { requireJoined, roomChannel } from "./channels.ts";
import { defineEvent, handoff } from "./event-handler.ts";
import { roomMessagePayload } from "./payloads.ts";
import { messageSendPayload } from "./schemas.ts";

export const messageSend = defineEvent({
  schema: messageSendPayload,
  handle({ shared, socket, user }, { roomId, text, clientId }) {
    requireJoined(socket, roomId, "sending messages");
    const sent = shared.chat.roomMessages.send({ userId: user.id, roomId, text, clientId, sender: user });
    return handoff(sent, ({ message, created }) => {
      const payload = roomMessagePayload(message, user);
      // A retry with a known clientId gets the stored message back; the room had it the first time.
      if (created) {
        const broadcast = () => shared.io.to(roomChannel(message.roomId)).emit("message:received", payload);
        shared.ledger?.sent(payload.id, broadcast);
        broadcast();
      }
      return payload;
    });
  },
});
