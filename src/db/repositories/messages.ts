// Messages: room chat and direct messages, stored idempotently per (sender, clientId) so a client
// retrying an unacknowledged send gets the stored message back instead of a duplicate.
import { and, asc, desc, eq, gt, inArray, lt, max, or, type SQL } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import { messages } from "../schema.ts";
import { createMessageWriter, type CreateMessageResult, type Draft, type Message } from "./message-writer.ts";
import { LIMITS } from "../../chat/rules.ts";
import type { HistoryQuery, NewDirectMessage, NewRoomMessage } from "../../chat/ports.ts";
import { isUuid } from "./uuid.ts";

export type { CreateMessageResult, Message, MessageType } from "./message-writer.ts";

export type { HistoryQuery as HistoryPage, NewDirectMessage, NewRoomMessage } from "../../chat/ports.ts";

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;

const messageColumns = {
  id: messages.id,
  type: messages.type,
  roomId: messages.roomId,
  recipientId: messages.recipientId,
  senderId: messages.senderId,
  text: messages.text,
  clientId: messages.clientId,
  createdAt: messages.createdAt,
};

/** The history limit clamped to the domain's 1..historyMax: a safety net behind the edge's validation. */
export function clampHistoryLimit(limit: number): number {
  if (!Number.isFinite(limit)) return LIMITS.historyDefault;
  return Math.min(LIMITS.historyMax, Math.max(1, Math.trunc(limit)));
}

function beforeCondition(before: number | undefined): SQL | undefined {
  if (before === undefined) return undefined;
  // Ids are integers; a fractional or NaN cursor would be a bug upstream, and Postgres would reject it.
  if (!Number.isSafeInteger(before)) throw new RangeError(`history cursor must be an integer, got ${before}`);
  return lt(messages.id, before);
}

/**
 * The row to write. Text and clientId are made well-formed: a lone surrogate would make the batch's
 * JSON invalid for every sender in it, and UTF-8 storage would turn it into U+FFFD anyway.
 */
function draftOf(
  input: { senderId: string; text: string; clientId?: string | null | undefined },
  target: Pick<Draft, "type" | "roomId" | "recipientId">,
): Draft {
  // A malformed sender is a bug upstream (the id comes from a verified token), not a client's error.
  if (!isUuid(input.senderId)) throw new Error(`message sender is not a uuid: ${JSON.stringify(input.senderId)}`);
  const clientId = input.clientId ?? null;
  return {
    ...target,
    senderId: input.senderId.toLowerCase(),
    text: input.text.toWellFormed(),
    clientId: clientId === null ? null : clientId.toWellFormed(),
  };
}

export function createMessagesRepository(db: Db, jsonStatement: Database["jsonStatement"], pipelined: boolean) {
  const writer = createMessageWriter(jsonStatement, { pipelined });

  async function history(where: SQL | undefined, page: HistoryQuery): Promise<Message[]> {
    return db
      .select(messageColumns)
      .from(messages)
      .where(and(where, beforeCondition(page.before)))
      .orderBy(desc(messages.id))
      .limit(clampHistoryLimit(page.limit));
  }

  return {
    async createRoomMessage(input: NewRoomMessage): Promise<CreateMessageResult> {
      if (!isUuid(input.roomId)) return { ok: false, reason: "target_not_found" };
      // Postgres hands uuids back lower-cased; normalizing here keeps the retry comparison exact.
      return writer.write(draftOf(input, { type: "room", roomId: input.roomId.toLowerCase(), recipientId: null }));
    },

    async createDirectMessage(input: NewDirectMessage): Promise<CreateMessageResult> {
      if (!isUuid(input.recipientId)) return { ok: false, reason: "target_not_found" };
      return writer.write(draftOf(input, { type: "direct", roomId: null, recipientId: input.recipientId.toLowerCase() }));
    },

    /** A room's messages newest first; `before` is the id of the oldest message already shown. */
    async roomHistory(roomId: string, page: HistoryQuery): Promise<Message[]> {
      if (!isUuid(roomId)) return [];
      return history(eq(messages.roomId, roomId), page);
    },

    /** Both directions of a conversation between two users, newest first, paged like roomHistory. */
    async directHistory(userA: string, userB: string, page: HistoryQuery): Promise<Message[]> {
      if (!isUuid(userA) || !isUuid(userB)) return [];
      const conversation = or(
        and(eq(messages.senderId, userA), eq(messages.recipientId, userB)),
        and(eq(messages.senderId, userB), eq(messages.recipientId, userA)),
      );
      return history(and(eq(messages.type, "direct"), conversation), page);
    },

    async messagesAfter(afterId: number, targets: { roomIds: readonly string[]; userIds: readonly string[] }, limit: number): Promise<Message[]> {
      if (!Number.isSafeInteger(afterId)) throw new RangeError(`message cursor must be an integer, got ${afterId}`);
      const roomIds = targets.roomIds.filter(isUuid);
      const userIds = targets.userIds.filter(isUuid);
      const wanted = [
        roomIds.length > 0 ? and(eq(messages.type, "room"), inArray(messages.roomId, roomIds)) : undefined,
        userIds.length > 0 ? and(eq(messages.type, "direct"), or(inArray(messages.recipientId, userIds), inArray(messages.senderId, userIds))) : undefined,
      ].filter((condition): condition is SQL => condition !== undefined);
      if (wanted.length === 0) return [];
      return db
        .select(messageColumns)
        .from(messages)
        .where(and(gt(messages.id, afterId), or(...wanted)))
        .orderBy(asc(messages.id))
        .limit(Math.max(1, Math.trunc(limit)));
    },

    async latestMessageId(): Promise<number> {
      const [row] = await db.select({ latest: max(messages.id) }).from(messages);
      return Number(row?.latest ?? 0);
    },
  };
}
