// Socket.IO room names for users and study rooms: every socket of a user joins its user channel
// (direct messages, all tabs); a socket joins a room channel when it joins the study room. Plus the
// membership questions the room events ask of them.
import { ForbiddenError } from "../chat/errors.ts";
import type { GatewaySocket } from "./types.ts";

export const userChannel = (userId: string): string => `user:${userId}`;
export const roomChannel = (roomId: string): string => `room:${roomId}`;

/**
 * Whether another socket of the user (another tab, on this node) is in the room. Rooms announce
 * users, not sockets: a second tab joining, or one of two tabs leaving, is no news to the others.
 */
export function otherSocketOfUserIn(socket: GatewaySocket, userId: string, roomId: string): boolean {
  const { adapter } = socket.nsp;
  const channel = roomChannel(roomId);
  for (const id of adapter.rooms.get(userChannel(userId)) ?? []) {
    if (id !== socket.id && adapter.socketRooms(id)?.has(channel)) return true;
  }
  return false;
}

/** Whether this very socket joined the study room (read from the adapter: socket.rooms copies). */
export function joinedOnSocket(socket: GatewaySocket, roomId: string): boolean {
  return socket.nsp.adapter.sids.get(socket.id)?.has(roomChannel(roomId)) ?? false;
}

/** Study rooms this socket has joined (its user channel aside). */
export function joinedRoomCount(socket: GatewaySocket): number {
  let count = 0;
  for (const channel of socket.nsp.adapter.sids.get(socket.id) ?? []) if (channel.startsWith("room:")) count++;
  return count;
}

/** Room events need the room joined on this very socket (room:join), not just a membership row. */
export function requireJoined(socket: GatewaySocket, roomId: string, action: string): void {
  if (!joinedOnSocket(socket, roomId)) throw new ForbiddenError(`Join the room before ${action}`);
}
