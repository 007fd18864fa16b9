// The seed's event payloads, built from the domain's shapes. The sender is always the
// authenticated user as the handshake saw it (the seed's `socket.user`), never a payload field.
import type { DirectMessage, Room, RoomMessage, User } from "../chat/types.ts";
import type { DirectMessagePayload, RoomCreatedPayload, RoomMessagePayload, SocketUser } from "./types.ts";

export function toSocketUser(user: User): SocketUser {
  return { id: user.id, firstName: user.firstName, lastName: user.lastName, role: user.role, avatar: user.avatar };
}

export function roomMessagePayload(message: RoomMessage, sender: SocketUser): RoomMessagePayload {
  return { id: message.id, roomId: message.roomId, sender, text: message.text, createdAt: message.createdAt, clientId: message.clientId };
}

export function directMessagePayload(message: DirectMessage, sender: SocketUser): DirectMessagePayload {
  return {
    id: message.id,
    sender,
    recipientId: message.recipientId,
    text: message.text,
    createdAt: message.createdAt,
    clientId: message.clientId,
  };
}

export function roomCreatedPayload(room: Room, creator: { id: string; firstName: string; lastName: string }): RoomCreatedPayload {
  return {
    id: room.id,
    name: room.name,
    description: room.description,
    isPublic: room.isPublic,
    createdBy: { id: creator.id, firstName: creator.firstName, lastName: creator.lastName },
  };
}
