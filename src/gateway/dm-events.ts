// dm:send: stored (handed off to the message store's group commit), then delivered to every socket
// of the recipient and of the sender (all tabs), online or not (offline recipients read it over
// REST). Failures the seed reported with dm:error (unknown recipient, a failed send) still are.
import type { AckError } from "./acks.ts";
import { userChannel } from "./channels.ts";
import { defineEvent, handoff } from "./event-handler.ts";
import { directMessagePayload } from "./payloads.ts";
import { dmSendPayload } from "./schemas.ts";

// What the seed's dm:error said for each failure it reported; other failures were silent there.
const SEED_DM_ERRORS: Partial<Record<AckError["code"], string>> = {
  NOT_FOUND: "Recipient not found",
  INTERNAL: "Failed to send message",
};

export const dmSend = defineEvent({
  schema: dmSendPayload,
  handle({ shared, user }, { recipientId, text, clientId }) {
    const sent = shared.chat.directMessages.send({ senderId: user.id, recipientId, text, clientId, sender: user });
    return handoff(sent, ({ message, created }) => {
      const payload = directMessagePayload(message, user);
      // One emit to both channels reaches each socket once, even for a message to oneself.
      if (created) {
        const broadcast = () => shared.io.to([userChannel(message.recipientId), userChannel(user.id)]).emit("dm:received", payload);
        shared.ledger?.sent(payload.id, broadcast);
        broadcast();
      }
      return payload;
    });
  },
  onFailure({ socket }, error) {
    const message = SEED_DM_ERRORS[error.code];
    if (message !== undefined) socket.emit("dm:error", { message });
  },
});
