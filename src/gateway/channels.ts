// Socket.IO room names for users and study rooms: every socket of a user joins its user channel
// (direct messages, all tabs); a socket joins a room channel when it joins the study room.
import { ForbiddenError } from "../chat/errors.ts";

export const userChannel = (userId: string): string => `user:${userId}`;
export const roomChannel = (roomId: string): string => `room:${roomId}`;

/** Room events need the room joined on this very socket (room:join), not just a membership row. */
export function requireJoined(socket: { rooms: ReadonlySet<string> }, roomId: string, action: string): void {
  if (!socket.rooms.has(roomChannel(roomId))) throw new ForbiddenError(`Join the room before ${action}`);
}
