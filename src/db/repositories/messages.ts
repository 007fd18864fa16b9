// Messages: room chat and direct messages, stored idempotently per (sender, clientId) so a client
// retrying an unacknowledged send gets the stored message back instead of a duplicate.
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { messages, type MessageRow } from "../schema.ts";
import { isPgViolation, PG_FOREIGN_KEY_VIOLATION } from "./pg-error.ts";
import { isUuid } from "./uuid.ts";

export type MessageType = MessageRow["type"];

export type Message = {
  id: number;
  type: MessageType;
  roomId: string | null;
  recipientId: string | null;
  senderId: string;
  text: string;
  clientId: string | null;
  createdAt: Date;
};

export type NewRoomMessage = { roomId: string; senderId: string; text: string; clientId?: string | null };
export type NewDirectMessage = { recipientId: string; senderId: string; text: string; clientId?: string | null };

export type CreateMessageResult =
  /** created: false when this was a retry and `message` is the one stored the first time. */
  | { ok: true; created: boolean; message: Message }
  /** The sender already used this clientId for a different message (other target or text). */
  | { ok: false; reason: "client_id_conflict" }
  /** The room or recipient does not exist (or the id is malformed). */
  | { ok: false; reason: "target_not_found" };

export type HistoryPage = { before?: number; limit: number };

export const MAX_HISTORY_LIMIT = 100;
/** Used when a caller passes a limit that is not a number at all. */
export const DEFAULT_HISTORY_LIMIT = 50;

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

type Draft = {
  type: MessageType;
  roomId: string | null;
  recipientId: string | null;
  senderId: string;
  text: string;
  clientId: string | null;
};

// Target foreign keys: violating one means the room or recipient vanished. The sender's key is not
// here on purpose: a sender that does not exist is a bug upstream, not a "not found" for the client.
const TARGET_FOREIGN_KEYS = ["messages_room_id_study_rooms_id_fk", "messages_recipient_id_users_id_fk"] as const;

/** The history limit clamped to 1..MAX_HISTORY_LIMIT: a safety net behind the edge's validation. */
export function clampHistoryLimit(limit: number): number {
  if (!Number.isFinite(limit)) return DEFAULT_HISTORY_LIMIT;
  return Math.min(MAX_HISTORY_LIMIT, Math.max(1, Math.trunc(limit)));
}

function beforeCondition(before: number | undefined): SQL | undefined {
  if (before === undefined) return undefined;
  // Ids are integers; a fractional or NaN cursor would be a bug upstream, and Postgres would reject it.
  if (!Number.isSafeInteger(before)) throw new RangeError(`history cursor must be an integer, got ${before}`);
  return lt(messages.id, before);
}

function sameMessage(stored: Message, draft: Draft): boolean {
  return (
    stored.type === draft.type &&
    stored.roomId === draft.roomId &&
    stored.recipientId === draft.recipientId &&
    stored.text === draft.text
  );
}

export function createMessagesRepository(db: Db) {
  /** The inserted message, or undefined when (sender, clientId) is already taken. */
  async function insert(draft: Draft): Promise<Message | undefined> {
    const query = db.insert(messages).values(draft);
    // Without a clientId there is nothing to deduplicate (NULLs never collide in the unique index).
    const rows =
      draft.clientId === null
        ? await query.returning(messageColumns)
        : await query.onConflictDoNothing({ target: [messages.senderId, messages.clientId] }).returning(messageColumns);
    return rows[0];
  }

  async function findBySenderAndClientId(senderId: string, clientId: string): Promise<Message | undefined> {
    const [message] = await db
      .select(messageColumns)
      .from(messages)
      .where(and(eq(messages.senderId, senderId), eq(messages.clientId, clientId)))
      .limit(1);
    return message;
  }

  async function store(draft: Draft): Promise<CreateMessageResult> {
    // A second round only happens when the row that blocked the insert is gone by the time we read it
    // (its room was deleted, say); then the key is free again and the insert can succeed.
    for (let attempt = 0; attempt < 2; attempt++) {
      let message: Message | undefined;
      try {
        message = await insert(draft);
      } catch (error) {
        if (TARGET_FOREIGN_KEYS.some((fk) => isPgViolation(error, PG_FOREIGN_KEY_VIOLATION, fk))) {
          return { ok: false, reason: "target_not_found" };
        }
        throw error;
      }
      if (message) return { ok: true, created: true, message };
      if (draft.clientId === null) throw new Error("insert into messages returned no row");
      const existing = await findBySenderAndClientId(draft.senderId, draft.clientId);
      if (!existing) continue;
      // Same key, different message: answering with the stored one would confirm a send that never happened.
      return sameMessage(existing, draft)
        ? { ok: true, created: false, message: existing }
        : { ok: false, reason: "client_id_conflict" };
    }
    throw new Error("message idempotency key kept conflicting with a row that then disappeared");
  }

  async function history(where: SQL | undefined, page: HistoryPage): Promise<Message[]> {
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
      const roomId = input.roomId.toLowerCase();
      const { senderId, text } = input;
      return store({ type: "room", roomId, recipientId: null, senderId, text, clientId: input.clientId ?? null });
    },

    async createDirectMessage(input: NewDirectMessage): Promise<CreateMessageResult> {
      if (!isUuid(input.recipientId)) return { ok: false, reason: "target_not_found" };
      const recipientId = input.recipientId.toLowerCase();
      const { senderId, text } = input;
      return store({ type: "direct", roomId: null, recipientId, senderId, text, clientId: input.clientId ?? null });
    },

    /** A room's messages newest first; `before` is the id of the oldest message already shown. */
    async roomHistory(roomId: string, page: HistoryPage): Promise<Message[]> {
      if (!isUuid(roomId)) return [];
      return history(eq(messages.roomId, roomId), page);
    },

    /** Both directions of a conversation between two users, newest first, paged like roomHistory. */
    async directHistory(userA: string, userB: string, page: HistoryPage): Promise<Message[]> {
      if (!isUuid(userA) || !isUuid(userB)) return [];
      const conversation = or(
        and(eq(messages.senderId, userA), eq(messages.recipientId, userB)),
        and(eq(messages.senderId, userB), eq(messages.recipientId, userA)),
      );
      return history(and(eq(messages.type, "direct"), conversation), page);
    },
  };
}
