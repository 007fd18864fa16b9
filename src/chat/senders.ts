// Resolves the authors of a batch of stored messages in one lookup, for history pages and sends.
import type { UserStore } from "./ports.ts";
import type { Sender, StoredMessage } from "./types.ts";

export type SenderOf = (message: StoredMessage) => Sender;

function toSender(user: { id: string; firstName: string; lastName: string; avatar: string | null }): Sender {
  return { id: user.id, firstName: user.firstName, lastName: user.lastName, avatar: user.avatar };
}

export async function resolveSenders(users: UserStore, messages: readonly StoredMessage[]): Promise<SenderOf> {
  const found = await users.findManyByIds(messages.map((m) => m.senderId));
  const byId = new Map(found.map((user) => [user.id, toSender(user)]));
  // Deleting a user deletes their messages too (cascade), so a miss means the account went away
  // between the two reads; keep the page whole rather than drop a message from it.
  return (message) => byId.get(message.senderId) ?? { id: message.senderId, firstName: "Deleted", lastName: "user", avatar: null };
}
