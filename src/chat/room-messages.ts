// Room chat: history (public room: anyone signed in; private: participants) and sending, which
// needs a participant. Sends are idempotent per clientId, so a client may retry an unanswered one.
import { ForbiddenError } from "./errors.ts";
import { pageOf, storedOrThrow } from "./message-results.ts";
import type { MessageStore, RoomStore, UserStore } from "./ports.ts";
import { visibleRoom } from "./room-access.ts";
import { checkClientId, checkHistoryPage, checkMessageText, orInvalid, type HistoryPageInput } from "./rules.ts";
import { resolveSenders } from "./senders.ts";
import type { MessagePage, RoomMessage, Sender, SentMessage, StoredMessage } from "./types.ts";

export type SendRoomMessageInput = {
  userId: string;
  roomId: string;
  text: unknown;
  clientId?: unknown;
  /** How to show the sender, when the caller already knows (a socket does): saves a lookup. */
  sender?: Sender;
};

export type RoomMessagesDeps = { rooms: RoomStore; messages: MessageStore; users: UserStore };
export type RoomMessages = ReturnType<typeof createRoomMessages>;

export function createRoomMessages({ rooms, messages, users }: RoomMessagesDeps) {
  const presentWith = (m: StoredMessage, roomId: string) => ({ id: m.id, roomId, text: m.text, clientId: m.clientId, createdAt: m.createdAt });

  async function present(roomId: string, stored: StoredMessage[]): Promise<RoomMessage[]> {
    const senderOf = await resolveSenders(users, stored);
    return stored.map((m) => ({ ...presentWith(m, roomId), sender: senderOf(m) }));
  }

  return {
    async history(userId: string, roomId: string, pageInput: HistoryPageInput): Promise<MessagePage<RoomMessage>> {
      const page = orInvalid(checkHistoryPage(pageInput));
      const { room } = await visibleRoom(rooms, userId, roomId);
      return pageOf(await present(room.id, await messages.roomHistory(room.id, page)), page.limit);
    },

    /** One statement when all is well: the store checks that the sender takes part in the room. */
    async send(input: SendRoomMessageInput): Promise<SentMessage<RoomMessage>> {
      const text = orInvalid(checkMessageText(input.text));
      const clientId = orInvalid(checkClientId(input.clientId));
      const stored = await messages.createRoomMessage({ roomId: input.roomId, senderId: input.userId, text, clientId });
      const { message, created } = await storedOrThrow(stored, async () => {
        // Refused: answer as a reader would be, so a private room's existence is never confirmed.
        await visibleRoom(rooms, input.userId, input.roomId);
        throw new ForbiddenError("Join the room before sending messages");
      });
      const roomId = message.roomId ?? input.roomId;
      if (input.sender) {
        const { id, firstName, lastName, avatar } = input.sender;
        return { message: { ...presentWith(message, roomId), sender: { id, firstName, lastName, avatar } }, created };
      }
      const [presented] = await present(roomId, [message]);
      if (!presented) throw new Error("a stored message could not be presented");
      return { message: presented, created };
    },
  };
}
