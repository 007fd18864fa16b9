// Public entry of the Socket.IO v5 packet codec: packet types, the encoder and the per-connection decoder.
export { SioPacketType } from "./packet.ts";
export type {
  DecodeResult,
  SioAckPacket,
  SioConnectErrorPacket,
  SioConnectPacket,
  SioDisconnectPacket,
  SioEventPacket,
  SioPacket,
  SioPacketTypeCode,
} from "./packet.ts";
export { encodePacket, hasBinary } from "./encoder.ts";
export { DecodeError, SioDecoder } from "./decoder.ts";
export type { DecodeErrorMessage, DecoderOptions } from "./decoder.ts";
export { ENCODE_MAX_DEPTH } from "./binary.ts";
export { MsgpackDecoder, MsgpackDecodeError } from "./msgpack-decoder.ts";
export { encodeMsgpackPacket } from "./msgpack-encoder.ts";
export { createDecoder, encodeFor, parserForFirstMessage, PARSER_OPTIONS } from "./wire-format.ts";
export type { PacketDecoder, ParserName, ParserOption } from "./wire-format.ts";
