// Fan-out when connections speak different wire formats: a broadcast is encoded once per format in
// use, and each format has its own Bun topics, so the native publish stays one call per format.
import type { EncodedPacket } from "../adapter/types.ts";
import type { MessageData } from "../engine/types.ts";
import { encodeFor, type ParserName, type SioPacket } from "./parser/index.ts";

/**
 * The topic a connection of `parser` subscribes to for an adapter topic. Default connections keep
 * the adapter's name, so a server with no msgpack client publishes exactly as before; msgpack ones
 * get it prefixed with "m" (adapter topics start with "n" or "r": the two sets never meet).
 */
export function parserTopic(topic: string, parser: ParserName): string {
  return parser === "default" ? topic : `m${topic}`;
}

/** Which formats a namespace's sockets speak right now. */
export type FormatsInUse = { default: boolean; msgpack: boolean };

/**
 * One packet, encoded for each format in use when it is made (so an unencodable payload throws to
 * the emitter before anyone is sent anything), and for any other format on first request.
 */
export class PacketFrames implements EncodedPacket {
  #default: MessageData[] | undefined;
  #msgpack: MessageData[] | undefined;

  constructor(
    private readonly packet: SioPacket,
    inUse: FormatsInUse,
  ) {
    if (inUse.default || !inUse.msgpack) this.#default = encodeFor("default", packet);
    if (inUse.msgpack) this.#msgpack = encodeFor("msgpack", packet);
  }

  framesFor(format: string): readonly MessageData[] {
    if (format === "msgpack") return (this.#msgpack ??= encodeFor("msgpack", this.packet));
    return (this.#default ??= encodeFor("default", this.packet));
  }
}
