// Direct messages between two users. History is always "me and the other user", so nobody can
// read a conversation they are not part of; an unknown other user is not found.
import { NotFoundError } from "./errors.ts";
import { pageOf, storedOrThrow } from "./message-results.ts";
import type { MessageStore, UserStore } from "./ports.ts";
import { checkClientId, checkHistoryPage, checkMessageText, orInvalid, type HistoryPageInput } from "./rules.ts";
import { resolveSenders } from "./senders.ts";
import type { DirectMessage, MessagePage, SentMessage, StoredMessage } from "./types.ts";

export type SendDirectMessageInput = { senderId: string; recipientId: string; text: unknown; clientId?: unknown };

export type DirectMessagesDeps = { messages: MessageStore; users: UserStore };
export type DirectMessages = ReturnType<typeof createDirectMessages>;

export function createDirectMessages({ messages, users }: DirectMessagesDeps) {
  async function present(stored: StoredMessage[]): Promise<DirectMessage[]> {
    const senderOf = await resolveSenders(users, stored);
    return stored.map((m) => {
      // The store only returns direct messages here, and those always have a recipient.
      if (m.recipientId === null) throw new Error(`message ${m.id} is not a direct message`);
      return { id: m.id, sender: senderOf(m), recipientId: m.recipientId, text: m.text, clientId: m.clientId, createdAt: m.createdAt };
    });
  }

  return {
    async history(userId: string, otherUserId: string, pageInput: HistoryPageInput): Promise<MessagePage<DirectMessage>> {
      const page = orInvalid(checkHistoryPage(pageInput));
      const other = await users.findById(otherUserId);
      if (!other) throw new NotFoundError("User not found");
      return pageOf(await present(await messages.directHistory(userId, other.id, page)), page.limit);
    },

    async send(input: SendDirectMessageInput): Promise<SentMessage<DirectMessage>> {
      const text = orInvalid(checkMessageText(input.text));
      const clientId = orInvalid(checkClientId(input.clientId));
      const recipient = await users.findById(input.recipientId);
      if (!recipient) throw new NotFoundError("Recipient not found");
      const { message, created } = storedOrThrow(
        await messages.createDirectMessage({ recipientId: recipient.id, senderId: input.senderId, text, clientId }),
        "Recipient not found",
      );
      const [presented] = await present([message]);
      if (!presented) throw new Error("a stored message could not be presented");
      return { message: presented, created };
    },
  };
}
