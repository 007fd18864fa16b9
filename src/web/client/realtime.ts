// The Socket.IO connection: the token in the handshake, the connection state the page shows, and
// events with acks turned into promises (an ack error becomes a RealtimeError with the server's message).
import type { Socket } from "socket.io-client";
import { isSessionRefusal } from "./api.ts";
import type { Ack } from "./types.ts";

export type ConnectionState = "connecting" | "connected" | "reconnecting";

export class RealtimeError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type RealtimeHandlers = {
  onState(state: ConnectionState, detail?: string): void;
  /** The server refused the token or ended the session: the page signs out with this message. */
  onSessionEnded(message: string): void;
  /** Connected again after a loss: rooms must be joined again and missed messages fetched. */
  onReconnected(): void;
};

// How long an event waits for its ack before the page says the server did not answer.
const ACK_TIMEOUT_MS = 10_000;
// A refusal that is not about the token (UNAVAILABLE: the database or a restart) is retried.
const RETRY_REFUSED_MS = 2_000;

export type Realtime = {
  socket: Socket;
  request<T>(event: string, payload: unknown): Promise<T>;
  close(): void;
};

export function connectRealtime(token: string, handlers: RealtimeHandlers): Realtime {
  const socket = io({ auth: { token } });
  let everConnected = false;
  let closed = false;
  handlers.onState("connecting");
  socket.on("connect", () => {
    handlers.onState("connected");
    if (everConnected) handlers.onReconnected();
    everConnected = true;
  });
  socket.on("disconnect", (reason) => {
    if (closed) return;
    // Only the token's expiry makes this server end a signed-in socket itself.
    if (reason === "io server disconnect") handlers.onSessionEnded("Your session has expired. Please sign in again.");
    else handlers.onState("reconnecting", "Connection lost, reconnecting…");
  });
  socket.on("connect_error", (error) => {
    if (closed) return;
    const data: unknown = "data" in error ? error.data : undefined;
    const code = typeof data === "object" && data !== null && "code" in data && typeof data.code === "string" ? data.code : undefined;
    if (isSessionRefusal(code)) {
      handlers.onSessionEnded(error.message);
      return;
    }
    handlers.onState("reconnecting", code === undefined ? "Cannot reach the server, retrying…" : `${error.message}, retrying…`);
    // A refusal by the server stops the client's own retries; a network failure does not.
    if (!socket.active) setTimeout(() => !closed && socket.connect(), RETRY_REFUSED_MS);
  });

  return {
    socket,
    request<T>(event: string, payload: unknown): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (timeout: Error | null, ack: Ack<T> | undefined) => {
          if (timeout || ack === undefined) reject(new RealtimeError("The server did not answer in time. Try again.", "TIMEOUT"));
          else if (ack.ok) resolve(ack.data);
          else reject(new RealtimeError(ack.error.message, ack.error.code));
        });
      });
    },
    close() {
      closed = true;
      socket.disconnect();
    },
  };
}
