// Engine.IO v4 packet codec: single packets (one per WebSocket frame) and polling payloads
// (packets joined by \x1e, binary as "b"+base64). Decoders return results and never throw.

export const PacketType = { open: 0, close: 1, ping: 2, pong: 3, message: 4, upgrade: 5, noop: 6 } as const;
export type PacketTypeName = keyof typeof PacketType;

export type EnginePacket =
  | { type: "message"; data: string | Uint8Array }
  | { type: Exclude<PacketTypeName, "message">; data?: string };

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

const TYPE_BY_CODE: readonly PacketTypeName[] = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
export const RECORD_SEPARATOR = "\x1e";

/** Decodes one packet: a text frame ("<digit>[data]") or a binary frame (a message, raw). */
export function decodePacket(frame: string | Uint8Array): DecodeResult<EnginePacket> {
  if (typeof frame !== "string") return { ok: true, value: { type: "message", data: frame } };
  const code = frame.charCodeAt(0) - 48;
  const type = TYPE_BY_CODE[code];
  if (type === undefined) return { ok: false, error: "invalid packet type" };
  if (type === "message") return { ok: true, value: { type, data: frame.slice(1) } };
  return { ok: true, value: frame.length > 1 ? { type, data: frame.slice(1) } : { type } };
}

/** Decodes a polling request body. An empty body or any bad packet fails the whole payload. */
export function decodePayload(body: string): DecodeResult<EnginePacket[]> {
  if (body.length === 0) return { ok: false, error: "empty payload" };
  const packets: EnginePacket[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(RECORD_SEPARATOR, start);
    if (end === -1) end = body.length;
    const part = body.slice(start, end);
    const decoded = part.charCodeAt(0) === 98 /* b */ ? decodeBase64Message(part.slice(1)) : decodePacket(part);
    if (!decoded.ok) return decoded;
    packets.push(decoded.value);
    start = end + 1;
  }
  return { ok: true, value: packets };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64Message(text: string): DecodeResult<EnginePacket> {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return { ok: false, error: "invalid base64 payload" };
  return { ok: true, value: { type: "message", data: new Uint8Array(Buffer.from(text, "base64")) } };
}

/** A packet as one WebSocket frame: text "<digit>data", or raw bytes for a binary message. */
export function encodeFrame(packet: EnginePacket): string | Uint8Array {
  if (packet.type === "message" && typeof packet.data !== "string") return packet.data;
  return `${PacketType[packet.type]}${packet.data ?? ""}`;
}

/** Packets as one polling response body. */
export function encodePayload(packets: readonly EnginePacket[]): string {
  let body = "";
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i] as EnginePacket;
    if (i > 0) body += RECORD_SEPARATOR;
    body +=
      packet.type === "message" && typeof packet.data !== "string"
        ? `b${Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength).toString("base64")}`
        : `${PacketType[packet.type]}${packet.data ?? ""}`;
  }
  return body;
}
