// The two wire formats a connection may speak: socket.io's default text format and
// socket.io-msgpack-parser's, and how a connection's format is chosen from its first message.
import type { MessageData } from "../../engine/types.ts";
import { SioDecoder, type DecoderOptions } from "./decoder.ts";
import { encodePacket } from "./encoder.ts";
import { MsgpackDecoder } from "./msgpack-decoder.ts";
import { encodeMsgpackPacket } from "./msgpack-encoder.ts";
import type { DecodeResult, SioPacket } from "./packet.ts";

export type ParserName = "default" | "msgpack";

/** The server's `parser` option: one format only, or "auto" (each connection's first message decides). */
export type ParserOption = ParserName | "auto";

export const PARSER_OPTIONS: readonly ParserOption[] = ["auto", "default", "msgpack"];

/** What a connection's decoder offers (SioDecoder and MsgpackDecoder): results, never throws. */
export interface PacketDecoder {
  /** True while a binary packet waits for attachments (never, for msgpack). */
  readonly pending: boolean;
  add(message: MessageData): DecodeResult<SioPacket | undefined>;
  reset(): void;
}

/**
 * The format a connection speaks, from its first message: a client's first packet is a CONNECT, text
 * for the default format and a binary MessagePack map for msgpack. With one format forced, that one
 * (its decoder then refuses the other's messages and the session closes).
 */
export function parserForFirstMessage(message: MessageData, option: ParserOption): ParserName {
  if (option !== "auto") return option;
  return typeof message === "string" ? "default" : "msgpack";
}

export function createDecoder(parser: ParserName, options: DecoderOptions): PacketDecoder {
  return parser === "msgpack" ? new MsgpackDecoder(options) : new SioDecoder(options);
}

/** A packet's Engine.IO messages in a format (same throws as encodePacket). */
export function encodeFor(parser: ParserName, packet: SioPacket): MessageData[] {
  return parser === "msgpack" ? encodeMsgpackPacket(packet) : encodePacket(packet);
}
