// The one Drizzle schema for both drivers (PGlite and Postgres): the seed's models, with the
// constraints and indexes the repositories' queries rely on. drizzle-kit generates drizzle/ from it.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

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

// Cluster presence under ADAPTER=postgres (src/cluster/postgres-presence.ts). Every table is keyed by
// the cluster's name (the adapter's channel prefix), so several clusters can share one database.

/** One row per cluster: its last instant, strictly increasing; locking it orders every presence change. */
export const clusterClock = pgTable("cluster_clock", {
  cluster: text("cluster").primaryKey(),
  lastAt: timestamp("last_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
});

/** The live nodes of a cluster and their last heartbeat; a node silent for the timeout is reaped. */
export const clusterNodes = pgTable(
  "cluster_nodes",
  {
    cluster: text("cluster").notNull(),
    nodeId: text("node_id").notNull(),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.nodeId] })],
);

/** Each node's open connections per user (rows with a count above zero only); gone with the node. */
export const clusterPresence = pgTable(
  "cluster_presence",
  {
    cluster: text("cluster").notNull(),
    nodeId: text("node_id").notNull(),
    userId: text("user_id").notNull(),
    connections: integer("connections").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cluster, t.nodeId, t.userId] }),
    // A user's total across the nodes.
    index("cluster_presence_user_idx").on(t.cluster, t.userId),
    foreignKey({ columns: [t.cluster, t.nodeId], foreignColumns: [clusterNodes.cluster, clusterNodes.nodeId] }).onDelete("cascade"),
    check("cluster_presence_connections_check", sql`${t.connections} > 0`),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type StudyRoomRow = typeof studyRooms.$inferSelect;
export type RoomParticipantRow = typeof roomParticipants.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type PresenceRow = typeof userPresence.$inferSelect;
