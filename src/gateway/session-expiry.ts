// A socket lives no longer than the token it connected with: at the token's expiry the server
// disconnects it ("io server disconnect": the client must sign in again before reconnecting).
import type { Timers } from "../chat/ports.ts";
import { MAX_TIMER_DELAY_MS } from "../lib/timers.ts";

/** Arms the disconnect; the returned function disarms it (call it when the socket disconnects). */
export function disconnectAtExpiry(socket: { disconnect(): unknown }, expiresAt: Date, timers: Timers): () => void {
  const remaining = () => expiresAt.getTime() - timers.now();
  let cancel: () => void;
  // A timer cannot wait longer than MAX_TIMER_DELAY_MS (about 24.8 days): far expiries wait in steps.
  // Even a token already expired (accepted within the clock tolerance) is dropped from a timer, once
  // the connection handler has finished.
  const arm = (): void => {
    cancel = timers.schedule(check, Math.min(Math.max(0, remaining()), MAX_TIMER_DELAY_MS));
  };
  const check = (): void => {
    if (remaining() > 0) arm();
    else socket.disconnect();
  };
  arm();
  return () => cancel();
}
