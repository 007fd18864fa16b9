// Engine.IO messages → Socket.IO packets (protocol.md §3.1, §3.5; advisories.md §3): header parsing,
// payload validation, and reassembly of binary packets from their attachment messages.
import { collectPlaceholders, reconstruct, type PlaceholderSlot } from "./binary.ts";
import { RESERVED_EVENTS } from "../reserved-events.ts";
import type { DecodeResult, SioAckPacket, SioEventPacket, SioPacket } from "./packet.ts";

export type DecoderOptions = {
  /** Attachments one binary packet may announce (CVE-2026-33151). Default 10. */
  maxAttachments?: number;
  /** JSON nesting depth allowed in a payload (`["a"]` is 1, `[{}]` is 2). Default 64. */
  maxDepth?: number;
  /** UTF-8 bytes allowed in a CONNECT payload (the client's auth). Default: no limit of its own. */
  maxConnectPayload?: number;
};


export const DecodeError = {
  EMPTY: "empty packet",
  UNKNOWN_TYPE: "unknown packet type",
  ILLEGAL_ATTACHMENTS: "illegal attachments",
  TOO_MANY_ATTACHMENTS: "too many attachments",
  INVALID_ACK_ID: "invalid ack id",
  CONNECT_PAYLOAD_TOO_LARGE: "auth payload too large",
  UNEXPECTED_ACK_ID: "unexpected ack id",
  MISSING_ACK_ID: "missing ack id",
  MISSING_PAYLOAD: "missing payload",
  UNEXPECTED_PAYLOAD: "unexpected payload",
  TOO_DEEP: "payload too deeply nested",
  INVALID_JSON: "invalid JSON payload",
  INVALID_PAYLOAD: "invalid payload",
  RESERVED_EVENT: "reserved event name",
  PLAINTEXT_WHILE_RECONSTRUCTING: "got plaintext data when reconstructing a packet",
  BINARY_WHILE_IDLE: "got binary data when not reconstructing a packet",
  UNSUPPORTED_MESSAGE: "unsupported message type",
} as const;
export type DecodeErrorMessage = (typeof DecodeError)[keyof typeof DecodeError];

// Ack ids are counters: socket.io's never come near 2^31. Larger ones (10-digit ids echoed back,
// ids that lose precision) are refused; an overlong run of digits fails early.
const MAX_ACK_ID = 2 ** 31 - 1;
const MAX_ID_DIGITS = 10;
// Leading zeros aside, maxAttachments already bounds the count; this bounds a run of zeros.
const MAX_ATTACHMENT_DIGITS = 15;

type Pending = {
  packet: SioEventPacket | SioAckPacket;
  slots: PlaceholderSlot[];
  expected: number;
  buffers: Buffer[];
};

const WAITING: DecodeResult<SioPacket | undefined> = { ok: true, value: undefined };

function fail(error: DecodeErrorMessage): { ok: false; error: string } {
  return { ok: false, error };
}

/** A CONNECT for `nsp` whose payload is over a limit: the caller answers it instead of closing. */
function refuseConnect(error: DecodeErrorMessage, nsp: string): { ok: false; error: string; refusedConnect: string } {
  return { ok: false, error, refusedConnect: nsp };
}

/**
 * One decoder per Engine.IO connection. `add` never throws: every protocol violation comes back as
 * `{ok: false}` (the caller closes the connection), and the decoder is then idle again (any partial
 * binary packet is dropped), so it stays usable.
 *
 * Stricter than socket.io-parser where our packet types demand it: an EVENT or ACK without payload
 * (`421`, `31`), an ACK without id, an ack id on CONNECT/DISCONNECT/CONNECT_ERROR, a CONNECT_ERROR
 * that is neither a string nor an object with a string `message`, and payloads nested deeper than
 * maxDepth are all refused.
 */
export class SioDecoder {
  readonly #maxAttachments: number;
  readonly #maxDepth: number;
  readonly #maxConnectPayload: number;
  #pending: Pending | undefined;

  /** Throws a RangeError for options that are not non-negative integers (maxDepth ≥ 1): a config bug. */
  constructor(options: DecoderOptions = {}) {
    const maxAttachments = options.maxAttachments ?? 10;
    const maxDepth = options.maxDepth ?? 64;
    const maxConnectPayload = options.maxConnectPayload ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(maxAttachments) || maxAttachments < 0) {
      throw new RangeError(`maxAttachments must be a non-negative integer, got ${maxAttachments}`);
    }
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
      throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
    }
    if (!(maxConnectPayload >= 0)) throw new RangeError(`maxConnectPayload must be a non-negative number, got ${maxConnectPayload}`);
    this.#maxAttachments = maxAttachments;
    this.#maxDepth = maxDepth;
    this.#maxConnectPayload = maxConnectPayload;
  }

  /** True while a binary packet waits for attachments. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** Drops any partial binary packet (on close). */
  reset(): void {
    this.#pending = undefined;
  }

  /**
   * Feeds one Engine.IO message. ok+packet: complete; ok+undefined: a binary packet waits for more
   * attachments; error: protocol violation (the caller closes the connection).
   */
  add(message: string | Uint8Array): DecodeResult<SioPacket | undefined> {
    if (typeof message === "string") {
      if (this.#pending !== undefined) {
        this.#pending = undefined;
        return fail(DecodeError.PLAINTEXT_WHILE_RECONSTRUCTING);
      }
      return this.#decodeText(message);
    }
    // Checked at run time too: the engine is typed, but a wrong caller must still not make us throw.
    if (!(message instanceof Uint8Array)) {
      this.#pending = undefined;
      return fail(DecodeError.UNSUPPORTED_MESSAGE);
    }
    const pending = this.#pending;
    if (pending === undefined) return fail(DecodeError.BINARY_WHILE_IDLE);
    // Apps get Node-style Buffers, as with socket.io; a view over the same memory, not a copy.
    pending.buffers.push(
      Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength),
    );
    if (pending.buffers.length < pending.expected) return WAITING;
    this.#pending = undefined;
    reconstruct(pending.slots, pending.buffers);
    return { ok: true, value: pending.packet };
  }

  /** One left-to-right pass over `<type>[<n>-][<nsp>,][<id>][<json>]`, then one JSON.parse. */
  #decodeText(text: string): DecodeResult<SioPacket | undefined> {
    const length = text.length;
    if (length === 0) return fail(DecodeError.EMPTY);
    const type = text.charCodeAt(0) - 48;
    if (type < 0 || type > 6) return fail(DecodeError.UNKNOWN_TYPE);
    let i = 1;

    let attachments = 0;
    if (type >= 5) {
      const start = i;
      for (; i < length; i++) {
        const digit = text.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) break;
        attachments = attachments * 10 + digit;
        // Refused as soon as it is over the limit: `51000000-` costs a few characters, not a scan.
        if (attachments > this.#maxAttachments) return fail(DecodeError.TOO_MANY_ATTACHMENTS);
        if (i - start >= MAX_ATTACHMENT_DIGITS) return fail(DecodeError.ILLEGAL_ATTACHMENTS);
      }
      // `50-` is refused too: a packet waiting for zero attachments would never complete.
      if (i === start || text.charCodeAt(i) !== 45 /* - */ || attachments === 0) {
        return fail(DecodeError.ILLEGAL_ATTACHMENTS);
      }
      i++;
    }

    let nsp = "/";
    if (text.charCodeAt(i) === 47 /* / */) {
      // Up to the first comma, or to the end: `40/custom` and `41/custom` carry no comma.
      const comma = text.indexOf(",", i);
      if (comma === -1) {
        nsp = text.slice(i);
        i = length;
      } else {
        nsp = text.slice(i, comma);
        i = comma + 1;
      }
    }

    let id: number | undefined;
    const idStart = i;
    let idValue = 0;
    for (; i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      if (i - idStart >= MAX_ID_DIGITS) return fail(DecodeError.INVALID_ACK_ID);
      idValue = idValue * 10 + digit;
    }
    if (i > idStart) {
      if (idValue > MAX_ACK_ID) return fail(DecodeError.INVALID_ACK_ID);
      if (type !== 2 && type !== 3 && type !== 5 && type !== 6) return fail(DecodeError.UNEXPECTED_ACK_ID);
      id = idValue;
    }

    const hasPayload = i < length;
    if (type === 1) return hasPayload ? fail(DecodeError.UNEXPECTED_PAYLOAD) : { ok: true, value: { type: 1, nsp } };
    let payload: unknown;
    if (hasPayload) {
      // Checked before parsing: a 900 KB auth is not parsed only to be refused.
      if (type === 0 && utf8Bytes(text, i, this.#maxConnectPayload) > this.#maxConnectPayload) {
        return refuseConnect(DecodeError.CONNECT_PAYLOAD_TOO_LARGE, nsp);
      }
      // Before JSON.parse: a 100 000-deep `[[[…` must not reach the parser or anything recursive after it.
      if (!withinDepth(text, i, this.#maxDepth)) {
        return type === 0 ? refuseConnect(DecodeError.TOO_DEEP, nsp) : fail(DecodeError.TOO_DEEP);
      }
      try {
        payload = JSON.parse(text.slice(i));
      } catch {
        return fail(DecodeError.INVALID_JSON);
      }
    }

    switch (type) {
      case 0:
        if (!hasPayload) return { ok: true, value: { type: 0, nsp } };
        if (!isPlainObject(payload)) return fail(DecodeError.INVALID_PAYLOAD);
        return { ok: true, value: { type: 0, nsp, data: payload } };
      case 4:
        if (!hasPayload) return fail(DecodeError.MISSING_PAYLOAD);
        // Our packet type always carries {message}: a bare string (older servers' form) is wrapped.
        if (typeof payload === "string") return { ok: true, value: { type: 4, nsp, data: { message: payload } } };
        if (!isPlainObject(payload) || typeof payload["message"] !== "string") {
          return fail(DecodeError.INVALID_PAYLOAD);
        }
        return { ok: true, value: { type: 4, nsp, data: payload as { message: string; data?: unknown } } };
    }

    // EVENT, ACK and their binary forms.
    if (!hasPayload) return fail(DecodeError.MISSING_PAYLOAD);
    if (!Array.isArray(payload)) return fail(DecodeError.INVALID_PAYLOAD);
    const data: unknown[] = payload;
    const isEvent = type === 2 || type === 5;
    if (isEvent) {
      const name: unknown = data[0];
      if (typeof name === "string") {
        if (RESERVED_EVENTS.has(name)) return fail(DecodeError.RESERVED_EVENT);
      } else if (typeof name !== "number") {
        // Also `[]`, and objects like {"toString":"x"} that crashed emitters (CVE-2023-32695).
        return fail(DecodeError.INVALID_PAYLOAD);
      }
    } else if (id === undefined) {
      return fail(DecodeError.MISSING_ACK_ID);
    }
    const packet: SioEventPacket | SioAckPacket = isEvent
      ? id === undefined
        ? { type: 2, nsp, data }
        : { type: 2, nsp, data, id }
      : { type: 3, nsp, data, id: id as number };
    if (type < 5) return { ok: true, value: packet };

    const slots = collectPlaceholders(data, attachments);
    if (slots === undefined) return fail(DecodeError.ILLEGAL_ATTACHMENTS);
    this.#pending = { packet, slots, expected: attachments, buffers: [] };
    return WAITING;
  }
}

/**
 * UTF-8 bytes of text from `start`, exact once it may pass `limit`: a UTF-16 unit is at most 3
 * bytes, so a short payload is known to fit without counting.
 */
function utf8Bytes(text: string, start: number, limit: number): number {
  const units = text.length - start;
  if (units * 3 <= limit) return units;
  return Buffer.byteLength(text, "utf8") - Buffer.byteLength(text.slice(0, start), "utf8");
}

/** What JSON.parse gives for `{…}`: not null, not an array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether the JSON text from `start` opens at most maxDepth nested containers: counts `[`/`{` minus
 * `]`/`}` outside strings. String bodies are skipped with indexOf (native speed for long chat text);
 * a quote preceded by an odd run of backslashes is escaped. Malformed text may pass: JSON.parse then
 * refuses it, and depth is only a concern for values that parse.
 */
function withinDepth(text: string, start: number, maxDepth: number): boolean {
  // Fewer characters than maxDepth + 1 cannot open more than maxDepth containers (the common case).
  if (text.length - start <= maxDepth) return true;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return true; // unterminated string: JSON.parse refuses the payload
      i = end;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) return false;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return true;
}

/** Each run of backslashes precedes at most one quote, so these backward walks stay linear overall. */
function isEscaped(text: string, quote: number): boolean {
  let i = quote - 1;
  while (text.charCodeAt(i) === 92 /* \ */) i--;
  return (quote - 1 - i) % 2 === 1;
}
