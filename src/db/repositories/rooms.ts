// Study rooms and their participants: creation (room plus its admin, atomically), visibility,
// and membership. Who may see or join a room is decided by the chat layer from these facts.
import { and, asc, desc, eq, exists, or, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../database.ts";
import type { NewRoom } from "../../chat/ports.ts";
import type { Membership, Participant, ParticipantRole, Room, RoomSummary } from "../../chat/types.ts";
import { roomParticipants, studyRooms, users } from "../schema.ts";
import { isUuid } from "./uuid.ts";

export type { Membership, NewRoom, Participant, ParticipantRole, Room, RoomSummary };

/** The public face of a participant: what room:userJoined and room listings show. */
export type ParticipantUser = Participant["user"];

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;

type CreatedRoomRow = {
  id: string;
  name: string;
  description: string;
  is_public: boolean;
  created_by: string;
  created_ms: number | string;
  updated_ms: number | string;
};

const roomColumns = {
  id: studyRooms.id,
  name: studyRooms.name,
  description: studyRooms.description,
  isPublic: studyRooms.isPublic,
  createdBy: studyRooms.createdBy,
  createdAt: studyRooms.createdAt,
  updatedAt: studyRooms.updatedAt,
};

export function createRoomsRepository(db: Db) {
  return {
    /**
     * Inserts the room and its creator as admin in one statement (so atomically): no room is ever
     * left without one. One statement, not a transaction, so it runs the same on every driver.
     */
    async create(input: NewRoom): Promise<Room> {
      const rows = await db.execute(sql`
        with room as (
          insert into ${studyRooms} (name, description, is_public, created_by)
          values (${input.name}, ${input.description ?? ""}, ${input.isPublic ?? true}, ${input.createdBy})
          returning id, name, description, is_public, created_by, created_at, updated_at
        ), admin as (
          insert into ${roomParticipants} (room_id, user_id, role) select id, created_by, 'admin' from room
        )
        select id, name, description, is_public, created_by,
          floor(extract(epoch from created_at) * 1000)::float8 as created_ms,
          floor(extract(epoch from updated_at) * 1000)::float8 as updated_ms
        from room`);
      const [row] = rowsOf<CreatedRoomRow>(rows);
      if (!row) throw new Error("insert into study_rooms returned no row");
      return {
        id: row.id,
        name: row.name,
        description: row.description,
        isPublic: row.is_public,
        createdBy: row.created_by,
        createdAt: new Date(Number(row.created_ms)),
        updatedAt: new Date(Number(row.updated_ms)),
      };
    },

    async findById(id: string): Promise<Room | undefined> {
      if (!isUuid(id)) return undefined;
      const [room] = await db.select(roomColumns).from(studyRooms).where(eq(studyRooms.id, id)).limit(1);
      return room;
    },

    /** Public rooms plus the private rooms `userId` takes part in, newest first. */
    async listVisibleTo(userId: string): Promise<RoomSummary[]> {
      const participantCount = sql<number>`(select count(*) from ${roomParticipants} where ${roomParticipants.roomId} = ${studyRooms.id})`.mapWith(Number);
      const isMember = isUuid(userId)
        ? exists(
            db
              .select({ one: sql`1` })
              .from(roomParticipants)
              .where(and(eq(roomParticipants.roomId, studyRooms.id), eq(roomParticipants.userId, userId))),
          )
        : undefined;
      return db
        .select({ ...roomColumns, participantCount })
        .from(studyRooms)
        .where(or(eq(studyRooms.isPublic, true), isMember))
        // The id tie-break keeps the order stable for rooms created in the same microsecond.
        .orderBy(desc(studyRooms.seq));
    },

    /** Everyone in the room, earliest joiner first. */
    async participants(roomId: string): Promise<Participant[]> {
      if (!isUuid(roomId)) return [];
      const rows = await db
        .select({
          role: roomParticipants.role,
          joinedAt: roomParticipants.joinedAt,
          user: {
            id: users.id,
            firstName: users.firstName,
            lastName: users.lastName,
            avatar: users.avatar,
            role: users.role,
          },
        })
        .from(roomParticipants)
        .innerJoin(users, eq(users.id, roomParticipants.userId))
        .where(eq(roomParticipants.roomId, roomId))
        .orderBy(asc(roomParticipants.joinedAt), asc(roomParticipants.userId));
      return rows.map(({ user, role, joinedAt }) => ({ user, role, joinedAt }));
    },

    async getParticipant(roomId: string, userId: string): Promise<Membership | undefined> {
      if (!isUuid(roomId) || !isUuid(userId)) return undefined;
      const [membership] = await db
        .select({ role: roomParticipants.role, joinedAt: roomParticipants.joinedAt })
        .from(roomParticipants)
        .where(and(eq(roomParticipants.roomId, roomId), eq(roomParticipants.userId, userId)))
        .limit(1);
      return membership;
    },

    /**
     * Adds `userId` to the room; a no-op (returning false) when already a participant, so a
     * re-join neither fails nor demotes an admin. A missing room or user is an error (foreign key).
     */
    async addParticipant(roomId: string, userId: string, role: ParticipantRole = "member"): Promise<boolean> {
      const rows = await db
        .insert(roomParticipants)
        .values({ roomId, userId, role })
        .onConflictDoNothing({ target: [roomParticipants.roomId, roomParticipants.userId] })
        .returning({ userId: roomParticipants.userId });
      return rows.length > 0;
    },
  };
}
