// What a node missed while its bus connection was down: the stored room messages and direct
// messages above an id, for the rooms and users it serves, each with its sender, oldest first.
import type { MessageStore, UserStore } from "./ports.ts";
import type { StoredMessage, User } from "./types.ts";

export type CaughtUpMessage = { message: StoredMessage; sender: User };

export type MessageCatchUp = ReturnType<typeof createMessageCatchUp>;

export function createMessageCatchUp({ messages, users }: { messages: MessageStore; users: UserStore }) {
  return {
    /** The highest message id stored: where a node starts counting what it delivered. */
    latestId(): Promise<number> {
      return messages.latestMessageId();
    },

    async after(afterId: number, targets: { roomIds: readonly string[]; userIds: readonly string[] }, limit: number): Promise<CaughtUpMessage[]> {
      const stored = await messages.messagesAfter(afterId, targets, limit);
      if (stored.length === 0) return [];
      const senders = new Map((await users.findManyByIds([...new Set(stored.map((m) => m.senderId))])).map((u) => [u.id, u]));
      // A sender's account going takes its messages with it (cascade): none is left without one.
      return stored.flatMap((message) => {
        const sender = senders.get(message.senderId);
        return sender ? [{ message, sender }] : [];
      });
    },
  };
}
