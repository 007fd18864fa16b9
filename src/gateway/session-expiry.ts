// A socket lives no longer than the token it connected with: at the token's expiry the server
// disconnects it ("io server disconnect": the client must sign in again before reconnecting). All
// sockets share one deadline queue (one timer), so an idle connection holds no timer of its own.
import type { Timers } from "../chat/ports.ts";
import { DeadlineQueue, type Deadline } from "../lib/deadline-queue.ts";

export type Expiring = { disconnect(): unknown };
export type SessionExpiry = {
  /** Arms the disconnect at `expiresAt` (ms); a token already expired is dropped from the timer. */
  arm(socket: Expiring, expiresAt: number): Deadline<Expiring>;
  /** Disarms it (the socket disconnected first). */
  disarm(deadline: Deadline<Expiring>): void;
  /** Sockets waiting for their expiry. */
  readonly armed: number;
};

export function createSessionExpiry(timers: Timers): SessionExpiry {
  const queue = new DeadlineQueue<Expiring>(timers, (socket) => socket.disconnect());
  return {
    arm: (socket, expiresAt) => queue.add(expiresAt, socket),
    disarm: (deadline) => queue.remove(deadline),
    get armed() {
      return queue.size;
    },
  };
}
