// The chat domain's RealtimeNotifier over Socket.IO: rooms created over REST are announced with the
// seed's room:created, to everyone for a public room and only to the creator's sockets otherwise.
import type { RealtimeNotifier } from "../chat/ports.ts";
import type { Logger } from "../lib/logger.ts";
import { userChannel } from "./channels.ts";
import { roomCreatedPayload } from "./payloads.ts";
import type { GatewayServer } from "./types.ts";

export function createRealtimeNotifier(io: GatewayServer, logger: Logger): RealtimeNotifier {
  return {
    roomCreated(room, creator) {
      // The room is committed: a failed announcement is logged, never the REST request's failure.
      try {
        const payload = roomCreatedPayload(room, creator);
        if (room.isPublic) io.emit("room:created", payload);
        else io.to(userChannel(creator.id)).emit("room:created", payload);
      } catch (error) {
        logger.error("room:created could not be announced", { roomId: room.id, error });
      }
    },
  };
}
