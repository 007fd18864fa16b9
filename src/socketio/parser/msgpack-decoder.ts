// Engine.IO binary messages → Socket.IO packets in socket.io-msgpack-parser's format: each packet is
// one MessagePack map {type, nsp, data?, id?}. Checked as strictly as the default parser's packets.
import { decode } from "notepack.io";
import { RESERVED_EVENTS } from "../reserved-events.ts";
import { DecodeError, type DecodeErrorMessage, type DecoderOptions } from "./decoder.ts";
import { scanMsgpack } from "./msgpack-scan.ts";
import type { DecodeResult, SioPacket } from "./packet.ts";

export const MsgpackDecodeError = {
  TEXT_MESSAGE: "got text data on a msgpack connection",
  MALFORMED: "malformed msgpack",
  NOT_A_PACKET: "packet is not a map",
  INVALID_NAMESPACE: "invalid namespace",
} as const;

const MAX_ACK_ID = 2 ** 31 - 1;

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function refuseConnect(error: DecodeErrorMessage, nsp: string): { ok: false; error: string; refusedConnect: string } {
  return { ok: false, error, refusedConnect: nsp };
}

/** An object notepack made from a map (Date, Buffer and arrays are not). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * One per Engine.IO connection, like SioDecoder: `add` never throws, and a packet is always complete
 * in one message (this format has no attachments), so nothing is ever pending.
 */
export class MsgpackDecoder {
  readonly pending = false;
  readonly #maxDepth: number;
  readonly #maxConnectPayload: number;

  constructor(options: DecoderOptions = {}) {
    const maxDepth = options.maxDepth ?? 64;
    const maxConnectPayload = options.maxConnectPayload ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
    if (!(maxConnectPayload >= 0)) throw new RangeError(`maxConnectPayload must be a non-negative number, got ${maxConnectPayload}`);
    this.#maxDepth = maxDepth;
    this.#maxConnectPayload = maxConnectPayload;
  }

  reset(): void {}

  add(message: string | Uint8Array): DecodeResult<SioPacket | undefined> {
    if (typeof message === "string") return fail(MsgpackDecodeError.TEXT_MESSAGE);
    if (!(message instanceof Uint8Array)) return fail(DecodeError.UNSUPPORTED_MESSAGE);
    // The packet map itself is one level more than the payload the default parser measures.
    const scan = scanMsgpack(message, this.#maxDepth + 1);
    if (scan.tooDeep) {
      // A well-formed CONNECT is answered (the client then stops retrying), anything else closes.
      const nsp = scan.ok && scan.type === 0 && scan.nsp?.startsWith("/") ? scan.nsp : undefined;
      return nsp === undefined ? fail(DecodeError.TOO_DEEP) : refuseConnect(DecodeError.TOO_DEEP, nsp);
    }
    if (!scan.ok) return fail(MsgpackDecodeError.MALFORMED);
    let decoded: unknown;
    try {
      decoded = decode(Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    } catch {
      return fail(MsgpackDecodeError.MALFORMED); // the scan already refuses what notepack throws on
    }
    if (!isPlainObject(decoded)) return fail(MsgpackDecodeError.NOT_A_PACKET);
    if (scan.hasArrayBuffer) buffersForArrayBuffers(decoded);
    return this.#packetOf(decoded, message.byteLength);
  }

  #packetOf(raw: Record<string, unknown>, size: number): DecodeResult<SioPacket | undefined> {
    const { type, nsp, data, id } = raw;
    if (typeof type !== "number" || !Number.isInteger(type) || type < 0 || type > 4) return fail(DecodeError.UNKNOWN_TYPE);
    if (typeof nsp !== "string" || !nsp.startsWith("/")) return fail(MsgpackDecodeError.INVALID_NAMESPACE);
    if (id !== undefined) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_ACK_ID) return fail(DecodeError.INVALID_ACK_ID);
      if (type !== 2 && type !== 3) return fail(DecodeError.UNEXPECTED_ACK_ID);
    }
    switch (type) {
      case 0:
        // The whole packet's size stands for the auth's: the rest of the map is a few bytes.
        if (size > this.#maxConnectPayload) return refuseConnect(DecodeError.CONNECT_PAYLOAD_TOO_LARGE, nsp);
        if (data === undefined) return { ok: true, value: { type: 0, nsp } };
        if (!isPlainObject(data)) return fail(DecodeError.INVALID_PAYLOAD);
        return { ok: true, value: { type: 0, nsp, data } };
      case 1:
        return data === undefined ? { ok: true, value: { type: 1, nsp } } : fail(DecodeError.UNEXPECTED_PAYLOAD);
      case 4:
        if (typeof data === "string") return { ok: true, value: { type: 4, nsp, data: { message: data } } };
        if (!isPlainObject(data) || typeof data["message"] !== "string") return fail(DecodeError.INVALID_PAYLOAD);
        return { ok: true, value: { type: 4, nsp, data: data as { message: string; data?: unknown } } };
    }
    if (data === undefined) return fail(DecodeError.MISSING_PAYLOAD);
    if (!Array.isArray(data)) return fail(DecodeError.INVALID_PAYLOAD);
    const args: unknown[] = data;
    if (type === 3) return id === undefined ? fail(DecodeError.MISSING_ACK_ID) : { ok: true, value: { type: 3, nsp, data: args, id } };
    const name: unknown = args[0];
    if (typeof name === "string") {
      if (RESERVED_EVENTS.has(name)) return fail(DecodeError.RESERVED_EVENT);
    } else if (typeof name !== "number") {
      return fail(DecodeError.INVALID_PAYLOAD);
    }
    return { ok: true, value: id === undefined ? { type: 2, nsp, data: args } : { type: 2, nsp, data: args, id } };
  }
}

/**
 * socket.io-msgpack-parser's clients send a Uint8Array (not a Buffer) as an ext-0 ArrayBuffer; apps
 * get Buffers for binary with the default parser, so they do here too. Depth is bounded by the scan.
 */
function buffersForArrayBuffers(container: unknown[] | Record<string, unknown>): void {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const value: unknown = container[i];
      if (value instanceof ArrayBuffer) container[i] = Buffer.from(value);
      else if (Array.isArray(value) || isPlainObject(value)) buffersForArrayBuffers(value);
    }
    return;
  }
  for (const key of Object.keys(container)) {
    const value = container[key];
    if (value instanceof ArrayBuffer) container[key] = Buffer.from(value);
    else if (Array.isArray(value) || isPlainObject(value)) buffersForArrayBuffers(value);
  }
}
