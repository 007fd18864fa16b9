// Socket.IO room names for users and study rooms: every socket of a user joins its user channel
// (direct messages, all tabs); a socket joins a room channel when it joins the study room. Plus the
// membership questions the room events ask of them.
import { ForbiddenError } from "../chat/errors.ts";
import type { GatewaySocket } from "./types.ts";

export const userChannel = (userId: string): string => `user:${userId}`;
export const roomChannel = (roomId: string): string => `room:${roomId}`;

/**
 * Whether another socket of the user (another tab, on any node) is in the room. Rooms announce
 * users, not sockets: a second tab joining, or one of two tabs leaving, is no news to the others.
 * Asked of the adapter, which answers for the whole cluster.
 */
export async function otherSocketOfUserIn(socket: GatewaySocket, userId: string, roomId: string): Promise<boolean> {
  const channel = roomChannel(roomId);
  const sockets = await socket.nsp.adapter.fetchSockets({ rooms: new Set([userChannel(userId)]) });
  return sockets.some((other) => other.id !== socket.id && other.rooms.includes(channel));
}

/** Whether this very socket joined the study room (its rooms as the adapter holds them). */
export function joinedOnSocket(socket: GatewaySocket, roomId: string): boolean {
  return socket.nsp.adapter.socketRooms(socket.id)?.has(roomChannel(roomId)) ?? false;
}

/** Study rooms this socket has joined (its user channel aside). */
export function joinedRoomCount(socket: GatewaySocket): number {
  let count = 0;
  for (const channel of socket.nsp.adapter.socketRooms(socket.id) ?? []) if (channel.startsWith("room:")) count++;
  return count;
}

/** Room events need the room joined on this very socket (room:join), not just a membership row. */
export function requireJoined(socket: GatewaySocket, roomId: string, action: string): void {
  if (!joinedOnSocket(socket, roomId)) throw new ForbiddenError(`Join the room before ${action}`);
}
