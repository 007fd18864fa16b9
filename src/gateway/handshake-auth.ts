// The handshake middleware: the token in `handshake.auth.token` must name an existing user. Failures
// reach the client as connect_error with the seed's message and a code in `data`.
import type { AuthFailureCode, Sessions } from "../chat/sessions.ts";
import type { Inflight } from "../lib/inflight.ts";
import type { Logger } from "../lib/logger.ts";
import type { ExtendedError } from "../socketio/index.ts";
import { toSocketUser } from "./payloads.ts";
import type { GatewaySocket } from "./types.ts";

export type HandshakeErrorCode = AuthFailureCode | "INTERNAL";

function handshakeError(reason: string, code: HandshakeErrorCode): ExtendedError {
  return Object.assign(new Error(`Authentication error: ${reason}`), { data: { code } });
}

/** `pending` tracks lookups in flight, so a shutdown can wait for them before closing the database. */
export function authenticateHandshake(sessions: Sessions, logger: Logger, pending: Inflight) {
  return (socket: GatewaySocket, next: (error?: ExtendedError) => void): void => {
    pending
      .track(sessions.authenticate(socket.handshake.auth["token"]))
      .then(
        (result) => {
          if (!result.ok) return next(handshakeError(result.reason, result.code));
          socket.data.user = toSocketUser(result.user);
          socket.data.sessionExpiresAt = result.expiresAt.getTime();
          next();
        },
        (error: unknown) => {
          logger.error("socket handshake failed", { error });
          next(handshakeError("Internal error", "INTERNAL"));
        },
      );
  };
}
