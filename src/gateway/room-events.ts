// room:join and room:leave. Joining checks access and persists the participant, then subscribes
// this socket; leaving only unsubscribes it (membership stays: see README "Realtime API").
import { RateLimitedError } from "../chat/errors.ts";
import { joinedOnSocket, joinedRoomCount, otherSocketOfUserIn, roomChannel, type ClusterQuestion } from "./channels.ts";
import { defineEvent, type GatewayShared } from "./event-handler.ts";
import { roomIdPayload } from "./schemas.ts";

const announcementKey = (userId: string, roomId: string): string => `${userId} ${roomId}`;

/** The cluster question of room events; without an answer, this node's sockets decide (logged). */
const question = (shared: GatewayShared, context: { userId: string; roomId: string }): ClusterQuestion => ({
  timers: shared.timers,
  onLocalAnswer: (error) => shared.logger.warn("room event answered by this node alone: the cluster did not answer", { ...context, error }),
});

export const roomJoin = defineEvent({
  schema: roomIdPayload,
  async handle({ shared, socket, user }, roomId) {
    if (!joinedOnSocket(socket, roomId) && joinedRoomCount(socket) >= shared.roomsPerSocket) {
      throw new RateLimitedError(`Too many rooms joined on this connection (at most ${shared.roomsPerSocket}); leave one first`, 0);
    }
    const { room } = await shared.chat.rooms.join(user.id, roomId);
    const channel = roomChannel(room.id);
    // A repeated join on this socket changes nothing; a socket that closed while the join was
    // stored has nothing to subscribe. One user's joins and leaves of one room take turns on this
    // node, so two tabs joining at once announce the user once.
    await shared.announcements.run(announcementKey(user.id, room.id), async () => {
      if (!socket.connected || joinedOnSocket(socket, room.id)) return;
      const userAlreadyThere = await otherSocketOfUserIn(socket, user.id, room.id, question(shared, { userId: user.id, roomId: room.id }));
      if (!socket.connected || joinedOnSocket(socket, room.id)) return;
      socket.join(channel);
      if (!userAlreadyThere) socket.to(channel).emit("room:userJoined", { roomId: room.id, user });
    });
    return room;
  },
});

export const roomLeave = defineEvent({
  schema: roomIdPayload,
  async handle(ctx, roomId) {
    const { shared, socket, user } = ctx;
    const channel = roomChannel(roomId);
    ctx.typing?.stop(roomId);
    // Leaving a room this socket is not in is a no-op, so a repeated leave is harmless; the user
    // has left once their last tab in the room has.
    await shared.announcements.run(announcementKey(user.id, roomId), async () => {
      if (!joinedOnSocket(socket, roomId)) return;
      socket.leave(channel);
      if (!(await otherSocketOfUserIn(socket, user.id, roomId, question(shared, { userId: user.id, roomId })))) socket.to(channel).emit("room:userLeft", { roomId, userId: user.id });
    });
    return { roomId };
  },
});
