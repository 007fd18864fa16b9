// Socket.IO v5 packet types as the rest of src/socketio sees them (protocol.md §3.1). BINARY_EVENT and
// BINARY_ACK exist only on the wire: the encoder picks them, the decoder folds them back into EVENT/ACK.

export const SioPacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;
export type SioPacketTypeCode = (typeof SioPacketType)[keyof typeof SioPacketType];

export type SioConnectPacket = { type: 0; nsp: string; data?: Record<string, unknown> };
export type SioDisconnectPacket = { type: 1; nsp: string };
export type SioEventPacket = { type: 2; nsp: string; data: unknown[]; id?: number };
export type SioAckPacket = { type: 3; nsp: string; data: unknown[]; id: number };
export type SioConnectErrorPacket = { type: 4; nsp: string; data: { message: string; data?: unknown } };

/**
 * A decoded or to-be-encoded packet. CONNECT data is the client's auth object (or absent) inbound and
 * `{sid, pid?}` outbound. The decoder never yields types 5/6: binary packets come out as 2/3 with their
 * attachments back in place (as Buffers).
 */
export type SioPacket =
  | SioConnectPacket
  | SioDisconnectPacket
  | SioEventPacket
  | SioAckPacket
  | SioConnectErrorPacket;

/**
 * Same shape as the engine's result type: decoders report protocol violations instead of throwing.
 * A well-formed CONNECT refused only for its payload's size or depth names its namespace in
 * `refusedConnect`: it is answered with a CONNECT_ERROR rather than by closing the connection.
 */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string; refusedConnect?: string };
