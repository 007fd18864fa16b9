// Socket.IO packet → one Engine.IO binary message in socket.io-msgpack-parser's format: the packet
// object {type, data, id, nsp} written by notepack.io, binary values inline (no attachments).
import { encode } from "notepack.io";
import { ENCODE_MAX_DEPTH, isBinaryValue, TOO_DEEP_MESSAGE } from "./binary.ts";
import type { SioPacket } from "./packet.ts";

/**
 * Copy-on-write walk that bounds the depth (notepack recurses without a limit, and cyclic data would
 * overflow the stack) and turns every binary value into a Buffer over the same bytes: notepack copies
 * other views element by element (a Float32Array would lose its bytes) and cannot take a DataView.
 * Dates and toJSON objects are leaves, as notepack encodes them itself.
 */
function prepare(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isBinaryValue(value)) {
    if (Buffer.isBuffer(value)) return value;
    return value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (depth >= ENCODE_MAX_DEPTH) throw new Error(TOO_DEEP_MESSAGE);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = prepare(item, depth + 1);
      if (next !== item) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  if (value instanceof Date || typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const next = prepare(item, depth + 1);
    // Spread defines own properties: a "__proto__" key stays a plain key in the copy.
    if (next !== item) (copy ??= { ...record })[key] = next;
  }
  return copy ?? value;
}

/**
 * The one binary message for a packet. Key order follows socket.io's packets so the bytes match
 * what a socket.io server with socket.io-msgpack-parser writes. Throws Error("data too deeply nested")
 * past ENCODE_MAX_DEPTH (or for cyclic data), and notepack's Error for what it cannot encode (BigInt).
 */
export function encodeMsgpackPacket(packet: SioPacket): Uint8Array[] {
  const object: Record<string, unknown> = { type: packet.type };
  if (packet.type !== 1 && packet.data !== undefined) object["data"] = prepare(packet.data, 0);
  if ((packet.type === 2 || packet.type === 3) && packet.id !== undefined) object["id"] = packet.id;
  object["nsp"] = packet.nsp;
  try {
    return [encode(object)];
  } catch (error) {
    // A stack overflow through toJSON results, which the walk does not enter.
    if (error instanceof RangeError) throw new Error(TOO_DEEP_MESSAGE, { cause: error });
    throw error;
  }
}
