// The one Drizzle schema for both drivers (PGlite and Postgres): the seed's models, with the
// constraints and indexes the repositories' queries rely on. drizzle-kit generates drizzle/ from it.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Stored lower-cased, so the unique index is case-insensitive in effect. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    role: text("role", { enum: ["student", "tutor", "admin"] }).notNull().default("student"),
    avatar: text("avatar"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    check("users_role_check", sql`${t.role} in ('student', 'tutor', 'admin')`),
  ],
);

export const userPresence = pgTable(
  "user_presence",
  {
    userId: uuid("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["online", "offline"] }).notNull().default("offline"),
    lastActivity: timestamp("last_activity", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [check("user_presence_status_check", sql`${t.status} in ('online', 'offline')`)],
);

export const studyRooms = pgTable(
  "study_rooms",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    isPublic: boolean("is_public").notNull().default(true),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /**
     * Creation order. Timestamps tie for rooms made in the same millisecond (PGlite's clock has
     * millisecond precision), so "newest first" orders by this instead.
     */
    seq: bigint("seq", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
  },
  // "Public rooms, newest first" is the room list's main scan.
  (t) => [
    index("study_rooms_public_created_idx").on(t.isPublic, t.createdAt),
    uniqueIndex("study_rooms_seq_unique").on(t.seq),
  ],
);

export const roomParticipants = pgTable(
  "room_participants",
  {
    roomId: uuid("room_id")
      .notNull()
      .references(() => studyRooms.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["admin", "member"] }).notNull().default("member"),
    joinedAt: timestamp("joined_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.userId] }),
    // "Rooms I am in" (room list, authorization) looks participants up by user.
    index("room_participants_user_idx").on(t.userId),
    check("room_participants_role_check", sql`${t.role} in ('admin', 'member')`),
  ],
);

export const messages = pgTable(
  "messages",
  {
    /** Monotonic identity: doubles as the pagination cursor (`before=<id>`). */
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    type: text("type", { enum: ["room", "direct"] }).notNull(),
    roomId: uuid("room_id").references(() => studyRooms.id, { onDelete: "cascade" }),
    recipientId: uuid("recipient_id").references(() => users.id, { onDelete: "cascade" }),
    senderId: uuid("sender_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    text: text("text").notNull(),
    /** Client-chosen idempotency key: a retry with the same key returns the stored message. */
    clientId: text("client_id"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("messages_sender_client_id_unique").on(t.senderId, t.clientId),
    // Room history: newest first within one room, paged by id.
    index("messages_room_id_idx").on(t.roomId, t.id),
    // Direct history: both directions of one conversation, paged by id.
    index("messages_direct_pair_idx").on(t.senderId, t.recipientId, t.id),
    check(
      "messages_target_check",
      sql`(${t.type} = 'room' and ${t.roomId} is not null and ${t.recipientId} is null) or (${t.type} = 'direct' and ${t.recipientId} is not null and ${t.roomId} is null)`,
    ),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type StudyRoomRow = typeof studyRooms.$inferSelect;
export type RoomParticipantRow = typeof roomParticipants.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type PresenceRow = typeof userPresence.$inferSelect;
