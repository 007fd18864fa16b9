// The shapes of the server's public API as this page reads them (README "API" and "Realtime API").
export type Person = { id: string; firstName: string; lastName: string; avatar?: string | null; role?: string };
export type Me = Person & { email: string };
export type Room = {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  createdBy: string | { id: string; firstName: string; lastName: string };
  participantCount?: number;
};
export type Participant = { role: "admin" | "member"; user: Person };
export type RoomDetails = Room & { participants: Participant[] };
export type RoomMessage = { id: string; roomId: string; sender: Person; text: string; clientId: string | null; createdAt: string };
export type DirectMessage = { id: string; sender: Person; recipientId: string; text: string; clientId: string | null; createdAt: string };
export type Page<M> = { messages: M[]; nextBefore: string | null };
export type Profile = Person & { status: "online" | "offline" };
export type AckError = { code: string; message: string };
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type TypingUpdate = { roomId: string; userId: string; firstName: string; isTyping: boolean };
export type UserStatus = { userId: string; status: "online" | "offline" };
