// Socket.IO packet → Engine.IO messages (protocol.md §3.1): one text header, then the binary
// attachments of a BINARY_EVENT/BINARY_ACK as separate messages, in placeholder order.
import { deconstruct, ENCODE_MAX_DEPTH, isBinaryValue, TOO_DEEP_MESSAGE } from "./binary.ts";
import type { SioPacket } from "./packet.ts";

const NONE = 0;
const FOUND = 1;
const TOO_DEEP = 2;
type ScanResult = typeof NONE | typeof FOUND | typeof TOO_DEEP;

/**
 * Recursive with a depth bound rather than an explicit stack: no allocation on the hot path, and
 * ENCODE_MAX_DEPTH keeps the recursion far from Bun's stack limit. Stops at the first binary value or
 * at the first branch past the bound (continuing would turn a cyclic value into an exponential walk).
 */
function scan(value: unknown, depth: number): ScanResult {
  if (typeof value !== "object" || value === null) return NONE;
  if (Array.isArray(value)) {
    if (depth >= ENCODE_MAX_DEPTH) return TOO_DEEP;
    for (let i = 0; i < value.length; i++) {
      const result = scan(value[i], depth + 1);
      if (result !== NONE) return result;
    }
    return NONE;
  }
  if (isBinaryValue(value)) return FOUND;
  if (depth >= ENCODE_MAX_DEPTH) return TOO_DEEP;
  // toJSON objects (Date, user classes) are leaves: JSON.stringify serializes whatever toJSON returns,
  // and binary hidden behind a toJSON is not looked for (it would be sent as JSON, not as attachments).
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return NONE;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const result = scan(record[key], depth + 1);
    if (result !== NONE) return result;
  }
  return NONE;
}

/**
 * True if data contains a binary value (Uint8Array, Buffer, ArrayBuffer, any ArrayBufferView) within
 * ENCODE_MAX_DEPTH levels of nesting. It never overflows the stack: it does not look past that depth
 * (nor past a first branch that goes deeper), and it does not look inside objects that have a toJSON
 * method. Cyclic data simply counts as too deep.
 */
export function hasBinary(data: unknown): boolean {
  return scan(data, 0) === FOUND;
}

/**
 * JSON.stringify, with its stack-overflow RangeError (possible only through toJSON results, since the
 * scan already bounds the rest) turned into the same Error as our own depth bound. Its TypeErrors
 * (BigInt, cycles through toJSON) pass through unchanged.
 */
function stringify(data: unknown): string {
  try {
    return JSON.stringify(data);
  } catch (error) {
    if (error instanceof RangeError) throw new Error(TOO_DEEP_MESSAGE, { cause: error });
    throw error;
  }
}

/**
 * For CONNECT/CONNECT_ERROR data (binary there is not part of the protocol: it goes out as JSON): the
 * scan only bounds the depth, because letting JSON.stringify hit the stack limit costs ~0.8 s in Bun.
 */
function stringifyBounded(data: unknown): string {
  if (scan(data, 0) === TOO_DEEP) throw new Error(TOO_DEEP_MESSAGE);
  return stringify(data);
}

function nspPart(nsp: string): string {
  return nsp === "/" || nsp === "" ? "" : `${nsp},`;
}

/**
 * Encodes a packet into the Engine.IO messages to send: a string header, then each binary attachment
 * (Uint8Array), in order. An EVENT/ACK whose data holds binary goes out as BINARY_EVENT/BINARY_ACK.
 * Throws Error("data too deeply nested") for data nested deeper than ENCODE_MAX_DEPTH (or cyclic), and
 * JSON.stringify's TypeError for data JSON cannot carry (BigInt); the socket layer catches both.
 * The namespace and id are trusted (the server made them): nsp starts with "/" and has no ",", id is a
 * non-negative safe integer.
 */
export function encodePacket(packet: SioPacket): (string | Uint8Array)[] {
  switch (packet.type) {
    case 0:
      if (packet.data === undefined) return [`0${nspPart(packet.nsp)}`];
      return [`0${nspPart(packet.nsp)}${stringifyBounded(packet.data)}`];
    case 1:
      return [`1${nspPart(packet.nsp)}`];
    case 2:
    case 3: {
      const id = packet.id === undefined ? "" : String(packet.id);
      const found = scan(packet.data, 0);
      if (found === NONE) return [`${packet.type}${nspPart(packet.nsp)}${id}${stringify(packet.data)}`];
      if (found === TOO_DEEP) throw new Error(TOO_DEEP_MESSAGE);
      const { data, attachments } = deconstruct(packet.data);
      const header = `${packet.type + 3}${attachments.length}-${nspPart(packet.nsp)}${id}${stringify(data)}`;
      const messages: (string | Uint8Array)[] = [header];
      for (const attachment of attachments) messages.push(attachment);
      return messages;
    }
    case 4:
      return [`4${nspPart(packet.nsp)}${stringifyBounded(packet.data)}`];
  }
}
