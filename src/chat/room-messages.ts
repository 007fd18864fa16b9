// Room chat: history (public room: anyone signed in; private: participants) and sending, which
// needs a participant. Sends are idempotent per clientId, so a client may retry an unanswered one.
import { ForbiddenError } from "./errors.ts";
import { pageOf, storedOrThrow } from "./message-results.ts";
import type { MessageStore, RoomStore, UserStore } from "./ports.ts";
import { visibleRoom } from "./room-access.ts";
import { checkClientId, checkHistoryPage, checkMessageText, orInvalid, type HistoryPageInput } from "./rules.ts";
import { resolveSenders } from "./senders.ts";
import type { MessagePage, RoomMessage, SentMessage, StoredMessage } from "./types.ts";

export type SendRoomMessageInput = { userId: string; roomId: string; text: unknown; clientId?: unknown };

export type RoomMessagesDeps = { rooms: RoomStore; messages: MessageStore; users: UserStore };
export type RoomMessages = ReturnType<typeof createRoomMessages>;

export function createRoomMessages({ rooms, messages, users }: RoomMessagesDeps) {
  async function present(roomId: string, stored: StoredMessage[]): Promise<RoomMessage[]> {
    const senderOf = await resolveSenders(users, stored);
    return stored.map((m) => ({ id: m.id, roomId, sender: senderOf(m), text: m.text, clientId: m.clientId, createdAt: m.createdAt }));
  }

  return {
    async history(userId: string, roomId: string, pageInput: HistoryPageInput): Promise<MessagePage<RoomMessage>> {
      const page = orInvalid(checkHistoryPage(pageInput));
      const { room } = await visibleRoom(rooms, userId, roomId);
      return pageOf(await present(room.id, await messages.roomHistory(room.id, page)), page.limit);
    },

    async send(input: SendRoomMessageInput): Promise<SentMessage<RoomMessage>> {
      const text = orInvalid(checkMessageText(input.text));
      const clientId = orInvalid(checkClientId(input.clientId));
      const { room, membership } = await visibleRoom(rooms, input.userId, input.roomId);
      if (!membership) throw new ForbiddenError("Join the room before sending messages");
      const { message, created } = storedOrThrow(
        await messages.createRoomMessage({ roomId: room.id, senderId: input.userId, text, clientId }),
        "Room not found",
      );
      const [presented] = await present(room.id, [message]);
      if (!presented) throw new Error("a stored message could not be presented");
      return { message: presented, created };
    },
  };
}
