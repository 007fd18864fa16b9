// The handshake middleware: the token in `handshake.auth.token` must name an existing user. Failures
// reach the client as connect_error with the seed's message and a code in `data`.
import { UnavailableError } from "../chat/errors.ts";
import type { AuthFailureCode, Sessions } from "../chat/sessions.ts";
import type { Inflight } from "../lib/inflight.ts";
import type { Logger } from "../lib/logger.ts";
import type { ExtendedError } from "../socketio/index.ts";
import { toSocketUser } from "./payloads.ts";
import type { GatewaySocket } from "./types.ts";

export type HandshakeErrorCode = AuthFailureCode | "UNAVAILABLE" | "INTERNAL";

function handshakeError(reason: string, code: HandshakeErrorCode): ExtendedError {
  return Object.assign(new Error(`Authentication error: ${reason}`), { data: { code } });
}

/**
 * `pending` tracks lookups in flight, so a shutdown can wait for them before closing the database.
 * While `draining` (a shutdown) or while the database cannot answer, handshakes fail with UNAVAILABLE:
 * the client may try again, here a moment later or on another node.
 */
export function authenticateHandshake(sessions: Sessions, logger: Logger, pending: Inflight, draining: () => boolean) {
  return (socket: GatewaySocket, next: (error?: ExtendedError) => void): void => {
    if (draining()) return next(handshakeError("Service unavailable", "UNAVAILABLE"));
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
          if (error instanceof UnavailableError) return next(handshakeError("Service unavailable", "UNAVAILABLE"));
          logger.error("socket handshake failed", { error });
          next(handshakeError("Internal error", "INTERNAL"));
        },
      );
  };
}
