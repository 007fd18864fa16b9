// One connection's typing indicators, per room: a start announces "typing" once (further starts
// only extend it), a stop or `expiryMs` without a new start announces "stopped". The clock is a
// port, so the machine is tested with a fake one.
import type { Timers } from "./ports.ts";

export const TYPING_EXPIRY_MS = 5_000;

export type TypingIndicatorDeps = {
  timers: Timers;
  /** Called once per change: true when typing starts, false when it stops or expires. */
  announce(roomId: string, isTyping: boolean): void;
  expiryMs?: number;
};

export type TypingIndicator = ReturnType<typeof createTypingIndicator>;

export function createTypingIndicator({ timers, announce, expiryMs = TYPING_EXPIRY_MS }: TypingIndicatorDeps) {
  /** Room id → cancels that room's expiry. */
  const typing = new Map<string, () => void>();

  const arm = (roomId: string): void => {
    const cancel = timers.schedule(() => {
      if (typing.get(roomId) !== cancel) return;
      typing.delete(roomId);
      announce(roomId, false);
    }, expiryMs);
    typing.set(roomId, cancel);
  };

  const stop = (roomId: string): boolean => {
    const cancel = typing.get(roomId);
    if (!cancel) return false;
    cancel();
    typing.delete(roomId);
    announce(roomId, false);
    return true;
  };

  return {
    /** Answers whether this start was announced (false: already typing, the expiry was extended). */
    start(roomId: string): boolean {
      const cancel = typing.get(roomId);
      if (cancel) {
        cancel();
        arm(roomId);
        return false;
      }
      arm(roomId);
      announce(roomId, true);
      return true;
    },

    /** Answers whether a stop was announced (false: was not typing there). */
    stop,

    /** Stops every room (leaving all of them: a disconnect). */
    stopAll(): void {
      for (const roomId of [...typing.keys()]) stop(roomId);
    },

    isTyping(roomId: string): boolean {
      return typing.has(roomId);
    },
  };
}
