// The domain's shapes: users, rooms, participants, messages and what the use cases answer with.
// Storage returns these (src/db's repositories match them structurally); transports serialize them.

export type UserRole = "student" | "tutor" | "admin";

/** An account without its password hash: safe to send to its owner. */
export type User = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  avatar: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type UserWithPassword = User & { passwordHash: string };

/** How a message's author is shown: no email, no role. */
export type Sender = { id: string; firstName: string; lastName: string; avatar: string | null };

export type PresenceStatus = "online" | "offline";

/** What anyone signed in may see of a user (no email). */
export type Profile = {
  id: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  avatar: string | null;
  status: PresenceStatus;
  /** When the status was last observed; null for a user who never connected. */
  lastActivity: Date | null;
};

export type Room = {
  id: string;
  name: string;
  description: string;
  isPublic: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
};

export type RoomSummary = Room & { participantCount: number };

export type ParticipantRole = "admin" | "member";

export type Membership = { role: ParticipantRole; joinedAt: Date };

export type Participant = Membership & {
  user: { id: string; firstName: string; lastName: string; avatar: string | null; role: UserRole };
};

export type RoomDetails = RoomSummary & { participants: Participant[] };

/** A row of the messages store, before its sender is resolved. */
export type StoredMessage = {
  id: number;
  type: "room" | "direct";
  roomId: string | null;
  recipientId: string | null;
  senderId: string;
  text: string;
  clientId: string | null;
  createdAt: Date;
};

export type RoomMessage = {
  id: number;
  roomId: string;
  sender: Sender;
  text: string;
  clientId: string | null;
  createdAt: Date;
};

export type DirectMessage = {
  id: number;
  sender: Sender;
  recipientId: string;
  text: string;
  clientId: string | null;
  createdAt: Date;
};

/** One page of history, newest first; `nextBefore` is the cursor for the next (older) page, if any. */
export type MessagePage<M> = { messages: M[]; nextBefore: number | null };

/** created: false when a retry with a known clientId returned the message stored the first time. */
export type SentMessage<M> = { message: M; created: boolean };
