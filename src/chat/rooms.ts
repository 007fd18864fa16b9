// Study rooms: creation (creator becomes admin, clients are told), listing, details, membership by
// admins (the way into a private room), joining (room:join persists the participant) and leaving.
import { ForbiddenError, NotFoundError } from "./errors.ts";
import type { RealtimeNotifier, RoomStore, UserStore } from "./ports.ts";
import { visibleRoom } from "./room-access.ts";
import { checkText, LIMITS, orInvalid } from "./rules.ts";
import type { Room, RoomDetails, RoomSummary } from "./types.ts";

export type CreateRoomInput = { name: unknown; description?: unknown; isPublic?: boolean | undefined };

export type RoomsDeps = { rooms: RoomStore; users: UserStore; notifier: RealtimeNotifier };
export type Rooms = ReturnType<typeof createRooms>;

export function createRooms({ rooms, users, notifier }: RoomsDeps) {
  return {
    async create(userId: string, input: CreateRoomInput): Promise<Room> {
      const name = orInvalid(checkText("name", input.name, LIMITS.roomNameMax));
      const description = orInvalid(checkText("description", input.description ?? "", LIMITS.descriptionMax, { allowEmpty: true }));
      const creator = await users.findById(userId);
      if (!creator) throw new NotFoundError("User not found");
      const room = await rooms.create({ name, description, isPublic: input.isPublic ?? true, createdBy: creator.id });
      notifier.roomCreated(room, { id: creator.id, firstName: creator.firstName, lastName: creator.lastName });
      return room;
    },

    /** Public rooms and the private rooms the user takes part in, newest first. */
    list(userId: string): Promise<RoomSummary[]> {
      return rooms.listVisibleTo(userId);
    },

    async get(userId: string, roomId: string): Promise<RoomDetails> {
      const { room } = await visibleRoom(rooms, userId, roomId);
      const participants = await rooms.participants(room.id);
      return { ...room, participantCount: participants.length, participants };
    },

    /** Only the room's admins may add; answers whether the user was added (false: already in). */
    async addParticipant(actorId: string, roomId: string, targetUserId: string): Promise<{ room: Room; userId: string; added: boolean }> {
      const { room, membership } = await visibleRoom(rooms, actorId, roomId);
      if (membership?.role !== "admin") throw new ForbiddenError("Only room admins can add participants");
      const target = await users.findById(targetUserId);
      if (!target) throw new NotFoundError("User not found");
      const added = await rooms.addParticipant(room.id, target.id, "member");
      return { room, userId: target.id, added };
    },

    /** Public room, or private room the user is already in; persists the participant. */
    async join(userId: string, roomId: string): Promise<{ room: Room; alreadyParticipant: boolean }> {
      const { room, membership } = await visibleRoom(rooms, userId, roomId);
      if (membership) return { room, alreadyParticipant: true };
      const added = await rooms.addParticipant(room.id, userId, "member");
      return { room, alreadyParticipant: !added };
    },
  };
}
