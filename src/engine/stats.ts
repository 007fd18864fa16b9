// What the Engine.IO server counts for operators: sessions opened per transport and requests refused
// per reason. Plain numbers bumped in place (no allocation per request), read whenever wanted.
import { EngineErrorCode } from "./errors.ts";
import type { TransportName } from "./types.ts";

/** Why a request was refused: the protocol's error codes, plus the limits, the origin check and shutdown. */
export const REFUSAL_REASONS = [
  "unknown_transport",
  "unknown_sid",
  "bad_handshake_method",
  "bad_request",
  "forbidden",
  "unsupported_protocol_version",
  "address_limit",
  "origin",
  "shutting_down",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const REASON_OF_CODE: Readonly<Record<EngineErrorCode, RefusalReason>> = {
  [EngineErrorCode.UNKNOWN_TRANSPORT]: "unknown_transport",
  [EngineErrorCode.UNKNOWN_SID]: "unknown_sid",
  [EngineErrorCode.BAD_HANDSHAKE_METHOD]: "bad_handshake_method",
  [EngineErrorCode.BAD_REQUEST]: "bad_request",
  [EngineErrorCode.FORBIDDEN]: "forbidden",
  [EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION]: "unsupported_protocol_version",
};

export type EngineStats = {
  /** Sessions opened (successful handshakes), by the transport they opened on. */
  readonly handshakes: Record<TransportName, number>;
  /** Requests answered with an error (handshakes and requests of existing sessions), by reason. */
  readonly refusals: Record<RefusalReason, number>;
};

export function createEngineStats(): EngineStats {
  const refusals = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as Record<RefusalReason, number>;
  return { handshakes: { polling: 0, websocket: 0 }, refusals };
}
