// Binary attachments (protocol.md §3.3): swapping binary values for {"_placeholder":true,"num":i} on the
// way out, and validating placeholders then putting the received attachments back on the way in.

/**
 * Nesting the encoder walks before giving up with Error("data too deeply nested"). Far above anything
 * the decoder accepts (maxDepth 64), far below the ~10k frames where Bun's recursion (and
 * JSON.stringify) hits a RangeError, and it also ends the walk on cyclic data.
 */
export const ENCODE_MAX_DEPTH = 1000;

export const TOO_DEEP_MESSAGE = "data too deeply nested";

/** Uint8Array, Buffer, any other ArrayBufferView (DataView, Float32Array…) or an ArrayBuffer. */
export function isBinaryValue(value: object): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** The bytes of a binary value as a Uint8Array view over the same memory (no copy). */
function asBytes(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export type Deconstructed = { data: unknown[]; attachments: Uint8Array[] };

/**
 * Replaces every binary value in `data` with a placeholder numbered in depth-first order and returns the
 * attachments in that order. Copy-on-write: the caller's data is never mutated, and containers with no
 * binary inside are reused as they are. Objects with a toJSON method (Date…) are leaves, as in
 * hasBinary. Throws Error("data too deeply nested") past ENCODE_MAX_DEPTH (also what cyclic data gives).
 */
export function deconstruct(data: unknown[]): Deconstructed {
  const attachments: Uint8Array[] = [];
  const replaced = replaceBinary(data, 0, attachments) as unknown[];
  return { data: replaced, attachments };
}

function replaceBinary(value: unknown, depth: number, attachments: Uint8Array[]): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isBinaryValue(value)) {
    const num = attachments.length;
    attachments.push(asBytes(value));
    return { _placeholder: true, num };
  }
  if (depth >= ENCODE_MAX_DEPTH) throw new Error(TOO_DEEP_MESSAGE);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = replaceBinary(item, depth + 1, attachments);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    const next = replaceBinary(item, depth + 1, attachments);
    if (next !== item) {
      // Spread defines own properties, so a "__proto__" key stays a plain key in the copy and the
      // assignment below writes that own property rather than the prototype.
      copy ??= { ...record };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/** Where one placeholder sits: container[key] gets attachment `num`. */
export type PlaceholderSlot = { container: unknown[] | Record<string, unknown>; key: number | string; num: number };

/**
 * Finds every placeholder in a decoded binary packet's payload as soon as its header arrives, so a bad
 * one is refused before any attachment is buffered (CVE-2022-2421). A placeholder is an object whose own
 * `_placeholder` is `true`; its `num` must be an integer in [0, attachments). Objects whose
 * `_placeholder` is anything else are ordinary data. An index may be used more than once, and an
 * attachment may go unused (both as the reference parser). Iterative, so any nesting depth is safe.
 */
export function collectPlaceholders(data: unknown[], attachments: number): PlaceholderSlot[] | undefined {
  const slots: PlaceholderSlot[] = [];
  const stack: (unknown[] | Record<string, unknown>)[] = [data];
  let container = stack.pop();
  while (container !== undefined) {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        if (!visit(container, i, container[i], attachments, slots, stack)) return undefined;
      }
    } else {
      // JSON.parse only creates own enumerable properties, so keys need no hasOwn filter here.
      for (const key of Object.keys(container)) {
        if (!visit(container, key, container[key], attachments, slots, stack)) return undefined;
      }
    }
    container = stack.pop();
  }
  return slots;
}

function visit(
  container: unknown[] | Record<string, unknown>,
  key: number | string,
  value: unknown,
  attachments: number,
  slots: PlaceholderSlot[],
  stack: (unknown[] | Record<string, unknown>)[],
): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    stack.push(value);
    return true;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "_placeholder") && record["_placeholder"] === true) {
    const num = record["num"];
    // typeof + isInteger + range: "splice", 1.5, -1, NaN-like and out-of-range indexes all fail here,
    // so the later buffers[num] is always a real array element, never a prototype member.
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= attachments) return false;
    slots.push({ container, key, num });
    return true;
  }
  stack.push(record);
  return true;
}

/** Puts the attachments into the slots collectPlaceholders found (mutates the decoded payload in place). */
export function reconstruct(slots: readonly PlaceholderSlot[], buffers: readonly Buffer[]): void {
  for (const slot of slots) {
    const buffer = buffers[slot.num] as Buffer; // num < buffers.length was checked against the header count
    if (Array.isArray(slot.container)) slot.container[slot.key as number] = buffer;
    // The key is an own property of the parsed object (even "__proto__"), so this writes that property.
    else slot.container[slot.key as string] = buffer;
  }
}
