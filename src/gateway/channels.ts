// Socket.IO room names for users and study rooms: every socket of a user joins its user channel
// (direct messages, all tabs); a socket joins a room channel when it joins the study room. Plus the
// membership questions the room events ask of them.
import { ForbiddenError } from "../chat/errors.ts";
import type { Timers } from "../chat/ports.ts";
import type { GatewaySocket } from "./types.ts";

export const userChannel = (userId: string): string => `user:${userId}`;
export const roomChannel = (roomId: string): string => `room:${roomId}`;

/** How long a room event waits for the cluster's answer before this node answers for itself. */
export const CLUSTER_ANSWER_MS = 1500;

export type ClusterQuestion = {
  timers: Timers;
  /** Told when the cluster did not answer (the bus is down) and this node's sockets decided. */
  onLocalAnswer(error: unknown): void;
};

/**
 * Whether another socket of the user (another tab, on any node) is in the room. Rooms announce
 * users, not sockets: a second tab joining, or one of two tabs leaving, is no news to the others.
 * Asked of the adapter, which answers for the whole cluster; when the cluster does not answer in
 * time (the bus is down), this node's sockets answer: the announcement then reaches only this
 * node's sockets anyway, so a join or leave never fails for want of the bus.
 */
export async function otherSocketOfUserIn(socket: GatewaySocket, userId: string, roomId: string, question: ClusterQuestion): Promise<boolean> {
  const channel = roomChannel(roomId);
  const rooms = new Set([userChannel(userId)]);
  const adapter = socket.nsp.adapter;
  let cancel: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    cancel = question.timers.schedule(() => reject(new Error(`no answer from the cluster within ${CLUSTER_ANSWER_MS} ms`)), CLUSTER_ANSWER_MS);
  });
  let sockets;
  try {
    sockets = await Promise.race([adapter.fetchSockets({ rooms }), late]);
  } catch (error) {
    question.onLocalAnswer(error);
    sockets = await adapter.fetchSockets({ rooms, flags: { local: true } });
  } finally {
    cancel?.();
  }
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
