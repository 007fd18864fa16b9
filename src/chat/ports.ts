// The interfaces the chat domain needs from the outside world. src/db's repositories, src/auth and
// the Socket.IO gateway implement them; only src/app.ts picks which implementation is used.
import type {
  Membership,
  Participant,
  ParticipantRole,
  PresenceStatus,
  Room,
  RoomSummary,
  StoredMessage,
  User,
  UserRole,
  UserWithPassword,
} from "./types.ts";

export type NewUser = { email: string; passwordHash: string; firstName: string; lastName: string; role?: UserRole };

export type CreateUserResult = { ok: true; user: User } | { ok: false; reason: "duplicate_email" };

export type UserStore = {
  create(input: NewUser): Promise<CreateUserResult>;
  /** Malformed ids find nothing (they never throw). */
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<UserWithPassword | undefined>;
  findManyByIds(ids: readonly string[]): Promise<User[]>;
};

export type Presence = { status: PresenceStatus; lastActivity: Date };

export type PresenceStore = {
  get(userId: string): Promise<Presence | undefined>;
  /** Records `status` as observed at `at`; an observation older than the stored one is ignored. */
  setStatus(userId: string, status: PresenceStatus, at: Date): Promise<boolean>;
};

/** What the cluster learnt from one node's new connection count for a user. */
export type ClusterPresenceChange = {
  /** The user's connections on every node before and after this node's count was set. */
  before: number;
  after: number;
  /** The instant of the change in the cluster's order (later changes get later instants). */
  at: Date;
};

/**
 * Connection counts per user across the nodes of a cluster (absent on one node). A node sets its
 * own count (absolute, so a repeat or a resync never counts twice); the user is online while any
 * live node counts a connection.
 */
export type ClusterPresence = {
  /** Undefined when this node is not registered (it was presumed dead): a resync settles it. */
  set(userId: string, connections: number): Promise<ClusterPresenceChange | undefined>;
};

export type NewRoom = { name: string; description?: string; isPublic?: boolean; createdBy: string };

export type RoomStore = {
  /** Creates the room with its creator as admin participant, atomically. */
  create(input: NewRoom): Promise<Room>;
  findById(id: string): Promise<Room | undefined>;
  listVisibleTo(userId: string): Promise<RoomSummary[]>;
  participants(roomId: string): Promise<Participant[]>;
  getParticipant(roomId: string, userId: string): Promise<Membership | undefined>;
  /** False when already a participant (the stored role is kept). */
  addParticipant(roomId: string, userId: string, role?: ParticipantRole): Promise<boolean>;
};

export type HistoryQuery = { before?: number; limit: number };

export type StoreMessageResult =
  /** created: false when this was a retry and `message` is the one stored the first time. */
  | { ok: true; created: boolean; message: StoredMessage }
  /**
   * client_id_conflict: the sender already used this clientId for another message (other target or
   * text); target_not_found: no such room or recipient; not_participant: the sender is not in the room.
   */
  | { ok: false; reason: "client_id_conflict" | "target_not_found" | "not_participant" };

export type NewRoomMessage = { roomId: string; senderId: string; text: string; clientId?: string | null };
export type NewDirectMessage = { recipientId: string; senderId: string; text: string; clientId?: string | null };

export type MessageStore = {
  /**
   * Idempotent per (sender, clientId). A room message is stored only when its sender takes part in
   * the room (checked in the same statement as the write), a direct message when its recipient exists.
   */
  createRoomMessage(input: NewRoomMessage): Promise<StoreMessageResult>;
  createDirectMessage(input: NewDirectMessage): Promise<StoreMessageResult>;
  /** Newest first, ids below `before`. */
  roomHistory(roomId: string, page: HistoryQuery): Promise<StoredMessage[]>;
  directHistory(userA: string, userB: string, page: HistoryQuery): Promise<StoredMessage[]>;
  /**
   * Oldest first, ids above `afterId`: room messages of `roomIds` and direct messages to or from
   * `userIds`, at most `limit` (a node catching up after its bus connection dropped).
   */
  messagesAfter(afterId: number, targets: { roomIds: readonly string[]; userIds: readonly string[] }, limit: number): Promise<StoredMessage[]>;
  /** The highest message id stored (0 when none). */
  latestMessageId(): Promise<number>;
};

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
};

export type TokenFailureCode = "TOKEN_MISSING" | "TOKEN_INVALID" | "TOKEN_EXPIRED";

export type TokenVerification =
  | { ok: true; userId: string; expiresAt: Date }
  /** reason: short and free of internals; the handshake sends it as `Authentication error: <reason>`. */
  | { ok: false; code: TokenFailureCode; reason: string };

export type IssuedToken = { token: string; expiresAt: Date };

export type TokenService = {
  issue(userId: string): Promise<IssuedToken>;
  /** Takes anything a client sent; never throws for bad input. */
  verify(token: unknown): Promise<TokenVerification>;
};

/**
 * Whether the stores can be reached, as their implementation (src/db/health.ts) knows it: the chat
 * use cases fail at once during an outage instead of making every caller wait for it.
 */
export type StoreHealth = {
  /** False while the stores are known to be unreachable. */
  available(): boolean;
  /** Whether `error` (thrown by a store) means the store could not answer: an outage, not a bad request. */
  isOutage(error: unknown): boolean;
  /** A store call got no answer within the deadline: the implementation checks its connections. */
  overdue(): void;
  /** Calls `listener` when the stores are next found unreachable (calls waiting then fail at once); answers the unsubscribe. */
  onOutage(listener: () => void): () => void;
};

/** A clock with timers: the real one in src/lib/timers.ts, a fake one in tests. */
export type Timers = {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `task` after `delayMs`; the returned function cancels it. */
  schedule(task: () => void, delayMs: number): () => void;
};

/**
 * Tells connected clients about changes made outside the realtime channel (REST). Implementations
 * must not throw and must not make the caller wait: the change is already committed.
 */
export type RealtimeNotifier = {
  roomCreated(room: Room, creator: { id: string; firstName: string; lastName: string }): void;
};
