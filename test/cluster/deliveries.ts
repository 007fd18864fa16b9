// What the bus-outage tests wait on: a socket's deliveries of given texts on an event, with a deadline
// of their own (an outage test waits for a catch-up, longer than an event normally takes).
import type { ClientSocket } from "../support/chat-client.ts";

/** Resolves once `socket` has had every one of `texts` (each at least once) on `event`, within `ms`. */
export function receives(socket: ClientSocket, event: string, texts: string[], ms = 20_000): Promise<void> {
  const missing = new Set(texts);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}: ${[...missing].join(", ")}`)), ms);
    const listener = (payload: { text: string }) => {
      missing.delete(payload.text);
      if (missing.size > 0) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve();
    };
    socket.on(event, listener);
  });
}
