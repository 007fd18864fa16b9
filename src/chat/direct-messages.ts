// Direct messages between two users. History is always "me and the other user", so nobody can
// read a conversation they are not part of; an unknown other user is not found.
import { NotFoundError } from "./errors.ts";
import { pageOf, storedOrThrow } from "./message-results.ts";
import type { MessageStore, UserStore } from "./ports.ts";
import { checkClientId, checkHistoryPage, checkMessageText, orInvalid, type HistoryPageInput } from "./rules.ts";
import { resolveSenders } from "./senders.ts";
import type { DirectMessage, MessagePage, Sender, SentMessage, StoredMessage } from "./types.ts";

export type SendDirectMessageInput = {
  senderId: string;
  recipientId: string;
  text: unknown;
  clientId?: unknown;
  /** How to show the sender, when the caller already knows (a socket does): saves a lookup. */
  sender?: Sender;
};

export type DirectMessagesDeps = { messages: MessageStore; users: UserStore };
export type DirectMessages = ReturnType<typeof createDirectMessages>;

function directMessageOf(m: StoredMessage): Omit<DirectMessage, "sender"> {
  // The store only returns direct messages here, and those always have a recipient.
  if (m.recipientId === null) throw new Error(`message ${m.id} is not a direct message`);
  return { id: m.id, recipientId: m.recipientId, text: m.text, clientId: m.clientId, createdAt: m.createdAt };
}

export function createDirectMessages({ messages, users }: DirectMessagesDeps) {
  async function present(stored: StoredMessage[]): Promise<DirectMessage[]> {
    const senderOf = await resolveSenders(users, stored);
    return stored.map((m) => ({ ...directMessageOf(m), sender: senderOf(m) }));
  }

  return {
    async history(userId: string, otherUserId: string, pageInput: HistoryPageInput): Promise<MessagePage<DirectMessage>> {
      const page = orInvalid(checkHistoryPage(pageInput));
      const other = await users.findById(otherUserId);
      if (!other) throw new NotFoundError("User not found");
      return pageOf(await present(await messages.directHistory(userId, other.id, page)), page.limit);
    },

    /** One statement: the store checks that the recipient exists. */
    async send(input: SendDirectMessageInput): Promise<SentMessage<DirectMessage>> {
      const text = orInvalid(checkMessageText(input.text));
      const clientId = orInvalid(checkClientId(input.clientId));
      const stored = await messages.createDirectMessage({ recipientId: input.recipientId, senderId: input.senderId, text, clientId });
      const { message, created } = await storedOrThrow(stored, async () => {
        throw new NotFoundError("Recipient not found");
      });
      if (input.sender) {
        const { id, firstName, lastName, avatar } = input.sender;
        return { message: { ...directMessageOf(message), sender: { id, firstName, lastName, avatar } }, created };
      }
      const [presented] = await present([message]);
      if (!presented) throw new Error("a stored message could not be presented");
      return { message: presented, created };
    },
  };
}
