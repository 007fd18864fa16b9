// Turns what the message store answers into use-case answers: a stored message or a domain error,
// and a history page with the cursor for the next, older page.
import { InvalidInputError } from "./errors.ts";
import type { StoreMessageResult } from "./ports.ts";
import type { MessagePage, StoredMessage } from "./types.ts";

/** `refused` explains a target that was not found or not allowed (it may look the target up). */
export async function storedOrThrow(
  result: StoreMessageResult,
  refused: (reason: "target_not_found" | "not_participant") => Promise<never>,
): Promise<{ message: StoredMessage; created: boolean }> {
  if (result.ok) return result;
  if (result.reason === "client_id_conflict") throw new InvalidInputError("clientId was already used for a different message", "clientId");
  return refused(result.reason);
}

/** A full page may have more behind it; a short one is the end. */
export function pageOf<M extends { id: number }>(messages: M[], limit: number): MessagePage<M> {
  const last = messages.at(-1);
  return { messages, nextBefore: messages.length === limit && last ? last.id : null };
}
