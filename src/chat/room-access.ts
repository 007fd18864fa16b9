// Who may see a room: anyone signed in for a public room, participants only for a private one.
// A private room is "not found" to everyone else, so its existence is never confirmed.
import { NotFoundError } from "./errors.ts";
import type { RoomStore } from "./ports.ts";
import type { Membership, Room } from "./types.ts";

export type VisibleRoom = { room: Room; membership: Membership | undefined };

export async function visibleRoom(rooms: RoomStore, userId: string, roomId: string): Promise<VisibleRoom> {
  const room = await rooms.findById(roomId);
  // Ids from here on are the stored (canonical, lower-case) ones, not the caller's spelling.
  const membership = room ? await rooms.getParticipant(room.id, userId) : undefined;
  if (!room || (!room.isPublic && !membership)) throw new NotFoundError("Room not found");
  return { room, membership };
}
