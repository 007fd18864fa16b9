// A walk over untrusted MessagePack bytes before anything decodes them: notepack.io recurses per
// level and preallocates declared lengths, so depth, lengths and shapes are checked here first.

/**
 * What the scan found. `ok` false: malformed bytes, or too deep (then the walk may have stopped
 * early, unless the packet is a CONNECT).
 */
export type MsgpackScan = {
  ok: boolean;
  /** Containers nested deeper than allowed somewhere. */
  tooDeep: boolean;
  /** An ext-0 ArrayBuffer (socket.io-msgpack-parser's Uint8Array/ArrayBuffer form) is inside. */
  hasArrayBuffer: boolean;
  /** The top-level map's "type" when it is a small non-negative integer, and its "nsp" when a string. */
  type: number | undefined;
  nsp: string | undefined;
};

// "__proto__" as UTF-8: a map with this key would set the decoded object's prototype in notepack.
const PROTO_KEY = Buffer.from("__proto__");

/**
 * Checks that `bytes` hold exactly one well-formed MessagePack value whose map keys are all strings
 * (none "__proto__"), whose exts are only those socket.io-msgpack-parser's codec writes (undefined,
 * Date, ArrayBuffer), and whose declared lengths fit in the bytes left. Iterative: any
 * nesting is walked without recursion; containers deeper than maxDepth set `tooDeep`.
 */
export function scanMsgpack(bytes: Uint8Array, maxDepth: number): MsgpackScan {
  const result: MsgpackScan = { ok: false, tooDeep: false, hasArrayBuffer: false, type: undefined, nsp: undefined };
  const length = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Items left in each open container; a map counts keys and values (2n), negated to mark it a map.
  const open: number[] = [];
  let offset = 0;
  let root = true;
  let topKey: "type" | "nsp" | undefined;
  while (root || open.length > 0) {
    // Too deep and not a CONNECT: nothing more to learn (a CONNECT is walked on, to find its nsp).
    if (result.tooDeep && result.type !== undefined && result.type !== 0) return result;
    if (offset >= length) return result;
    const depth = open.length;
    const left = depth > 0 ? (open[depth - 1] as number) : 1;
    const readingKey = left < 0 && -left % 2 === 0;
    const prefix = bytes[offset] as number;
    const head = headerOf(prefix, view, offset, length);
    if (head === undefined) return result;
    const end = offset + head.size + head.body;
    if (end > length) return result;
    if (readingKey) {
      if (head.kind !== STR) return result;
      // Only keys of the right length are looked at: most keys cost no view at all.
      if (head.body === PROTO_KEY.length && PROTO_KEY.equals(bytes.subarray(offset + head.size, end))) return result;
      topKey = depth === 1 && head.body <= 4 ? topKeyOf(bytes.subarray(offset + head.size, end)) : undefined;
    } else {
      if (head.kind === EXT) {
        const ext = extKind(view.getInt8(offset + head.size - 1), prefix);
        if (ext === undefined) return result;
        if (ext === ARRAY_BUFFER) result.hasArrayBuffer = true;
      }
      if (depth === 1 && topKey !== undefined) recordTop(result, topKey, head, bytes, offset, prefix);
    }
    offset = end;
    if (root) root = false;
    else open[depth - 1] = left < 0 ? left + 1 : left - 1;
    if (head.kind === ARRAY || head.kind === MAP) {
      // Every item takes at least one byte: a count the rest cannot hold is a lie, refused before
      // notepack's `new Array(count)`.
      const items = head.kind === MAP ? head.count * 2 : head.count;
      if (items > length - offset) return result;
      if (depth + 1 > maxDepth) result.tooDeep = true;
      if (items > 0) open.push(head.kind === MAP ? -items : items);
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
  }
  result.ok = offset === length;
  return result;
}

const SCALAR = 0;
const STR = 1;
const BIN = 2;
const EXT = 3;
const ARRAY = 4;
const MAP = 5;
type Kind = typeof SCALAR | typeof STR | typeof BIN | typeof EXT | typeof ARRAY | typeof MAP;

/** A value's header: its size, the bytes of body after it (str/bin/ext/scalar), and item count (containers). */
type Header = { kind: Kind; size: number; body: number; count: number };

function scalar(body: number): Header {
  return { kind: SCALAR, size: 1, body, count: 0 };
}

/** Reads a header, or undefined for a byte MessagePack leaves unused (0xc1) or a header cut short. */
function headerOf(prefix: number, view: DataView, offset: number, length: number): Header | undefined {
  if (prefix < 0x80 || prefix >= 0xe0) return scalar(0);
  if (prefix < 0x90) return { kind: MAP, size: 1, body: 0, count: prefix & 0x0f };
  if (prefix < 0xa0) return { kind: ARRAY, size: 1, body: 0, count: prefix & 0x0f };
  if (prefix < 0xc0) return { kind: STR, size: 1, body: prefix & 0x1f, count: 0 };
  const need = (bytes: number): boolean => offset + 1 + bytes <= length;
  switch (prefix) {
    case 0xc0: case 0xc2: case 0xc3:
      return scalar(0);
    case 0xc4: case 0xc5: case 0xc6:
    case 0xd9: case 0xda: case 0xdb: {
      const width = prefix === 0xc4 || prefix === 0xd9 ? 1 : prefix === 0xc5 || prefix === 0xda ? 2 : 4;
      if (!need(width)) return undefined;
      return { kind: prefix < 0xd0 ? BIN : STR, size: 1 + width, body: readLength(view, offset + 1, width), count: 0 };
    }
    case 0xc7: case 0xc8: case 0xc9: {
      const width = prefix === 0xc7 ? 1 : prefix === 0xc8 ? 2 : 4;
      if (!need(width + 1)) return undefined;
      return { kind: EXT, size: 2 + width, body: readLength(view, offset + 1, width), count: 0 };
    }
    case 0xca: return scalar(4);
    case 0xcb: return scalar(8);
    case 0xcc: case 0xd0: return scalar(1);
    case 0xcd: case 0xd1: return scalar(2);
    case 0xce: case 0xd2: return scalar(4);
    case 0xcf: case 0xd3: return scalar(8);
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
      if (!need(1)) return undefined;
      return { kind: EXT, size: 2, body: 1 << (prefix - 0xd4), count: 0 };
    case 0xdc: case 0xdd: case 0xde: case 0xdf: {
      const width = prefix === 0xdc || prefix === 0xde ? 2 : 4;
      if (!need(width)) return undefined;
      return { kind: prefix < 0xde ? ARRAY : MAP, size: 1 + width, body: 0, count: readLength(view, offset + 1, width) };
    }
    default:
      return undefined;
  }
}

function readLength(view: DataView, at: number, width: number): number {
  return width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at) : view.getUint32(at);
}

const ARRAY_BUFFER = 1;
const OTHER = 0;

/**
 * The exts notepack.io 2.2 (socket.io-msgpack-parser's codec) writes and turns back into values, all
 * of type 0: undefined (fixext 1), Date (fixext 8) and ArrayBuffer (ext 8/16/32). Anything else would
 * decode to an odd `[type, Buffer]` pair: refused.
 */
function extKind(type: number, prefix: number): typeof ARRAY_BUFFER | typeof OTHER | undefined {
  if (type !== 0) return undefined;
  if (prefix === 0xd4 || prefix === 0xd7) return OTHER;
  return prefix >= 0xc7 && prefix <= 0xc9 ? ARRAY_BUFFER : undefined;
}

function topKeyOf(key: Uint8Array): "type" | "nsp" | undefined {
  if (key.length === 4 && key[0] === 0x74 && key[1] === 0x79 && key[2] === 0x70 && key[3] === 0x65) return "type";
  if (key.length === 3 && key[0] === 0x6e && key[1] === 0x73 && key[2] === 0x70) return "nsp";
  return undefined;
}

/** Keeps the top-level "type"/"nsp" so a CONNECT refused for its depth can still be answered. */
function recordTop(result: MsgpackScan, key: "type" | "nsp", head: Header, bytes: Uint8Array, offset: number, prefix: number): void {
  if (key === "type") {
    result.type = head.kind === SCALAR && prefix < 0x80 ? prefix : undefined;
    return;
  }
  result.nsp =
    head.kind === STR ? Buffer.from(bytes.buffer, bytes.byteOffset + offset + head.size, head.body).toString("utf8") : undefined;
}
