// room:join and room:leave. Joining checks access and persists the participant, then subscribes
// this socket; leaving only unsubscribes it (membership stays: see README "Realtime API").
import { RateLimitedError } from "../chat/errors.ts";
import { joinedOnSocket, joinedRoomCount, otherSocketOfUserIn, roomChannel } from "./channels.ts";
import { defineEvent } from "./event-handler.ts";
import { roomIdPayload } from "./schemas.ts";

export const roomJoin = defineEvent({
  schema: roomIdPayload,
  async handle({ shared, socket, user }, roomId) {
    if (!joinedOnSocket(socket, roomId) && joinedRoomCount(socket) >= shared.roomsPerSocket) {
      throw new RateLimitedError(`Too many rooms joined on this connection (at most ${shared.roomsPerSocket}); leave one first`, 0);
    }
    const { room } = await shared.chat.rooms.join(user.id, roomId);
    const channel = roomChannel(room.id);
    // A repeated join on this socket changes nothing; a socket that closed while the join was
    // stored has nothing to subscribe. Checked and joined without a pause, so two tabs joining at
    // once announce the user once.
    if (socket.connected && !joinedOnSocket(socket, room.id)) {
      const userAlreadyThere = otherSocketOfUserIn(socket, user.id, room.id);
      socket.join(channel);
      if (!userAlreadyThere) socket.to(channel).emit("room:userJoined", { roomId: room.id, user });
    }
    return room;
  },
});

export const roomLeave = defineEvent({
  schema: roomIdPayload,
  handle(ctx, roomId) {
    const { socket, user } = ctx;
    const channel = roomChannel(roomId);
    ctx.typing?.stop(roomId);
    // Leaving a room this socket is not in is a no-op, so a repeated leave is harmless; the user
    // has left once their last tab in the room has.
    if (joinedOnSocket(socket, roomId)) {
      socket.leave(channel);
      if (!otherSocketOfUserIn(socket, user.id, roomId)) socket.to(channel).emit("room:userLeft", { roomId, userId: user.id });
    }
    return { roomId };
  },
});
