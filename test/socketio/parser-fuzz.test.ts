// Seeded fuzz of the Socket.IO codec: random and mutated message sequences never make SioDecoder throw
// and every answer is well-formed; random valid packets survive encode → decode unchanged.
import { describe, expect, test } from "bun:test";
import { DecodeError, encodePacket, SioDecoder, type DecodeResult, type SioPacket } from "../../src/socketio/parser/index.ts";

/** mulberry32: small, fast, and the same sequence on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, below: number): number => Math.floor(random() * below);

// Characters and tokens the grammar cares about, so random text reaches past the first check often.
const ALPHABET = '0123456789-/,[]{}":\\ _.aeEnrtux+\u00e9\ud83d';
const TOKENS = [
  '"_placeholder":true',
  '"num":',
  '{"_placeholder":true,"num":0}',
  '{"_placeholder":true,"num":1}',
  '"__proto__"',
  '"constructor"',
  '"disconnect"',
  '"error"',
  "/admin,",
  "9007199254740993",
  "null",
  "true",
  "[[[[",
  "]]]]",
  '\\"',
];
const SEEDS = [
  '2["foo"]',
  '2/admin,["bar"]',
  '212["foo"]',
  '3/admin,13["bar"]',
  "0",
  '0{"token":"1"}',
  "0/custom",
  '4{"message":"x"}',
  "1/admin,",
  '51-["baz",{"_placeholder":true,"num":0}]',
  '52-/admin,["baz",{"_placeholder":true,"num":0},{"a":[{"_placeholder":true,"num":1}]}]',
  '61-15["bar",{"_placeholder":true,"num":0}]',
  '53-7["x",{"_placeholder":true,"num":2},{"_placeholder":true,"num":2}]',
  // Known-bad inputs (advisories.md §3), so mutations also explore their neighbourhood.
  '2["disconnect"]',
  '2/admin,5["newListener",1]',
  '51-["connect",{"_placeholder":true,"num":0}]',
  '2[{"toString":"x"}]',
  '51-["hello",{"_placeholder":true,"num":"splice"}]',
  '51-["hello",{"_placeholder":true,"num":1}]',
  '50-["x"]',
];

function randomText(random: Random): string {
  let text = "";
  const parts = int(random, 12);
  for (let i = 0; i < parts; i++) text += random() < 0.75 ? pick(random, [...ALPHABET]) : pick(random, TOKENS);
  return text;
}

function mutate(random: Random, text: string): string {
  let result = text;
  const edits = 1 + int(random, 3);
  for (let e = 0; e < edits; e++) {
    const at = int(random, result.length + 1);
    const kind = random();
    if (kind < 0.3) result = result.slice(0, at) + pick(random, [...ALPHABET]) + result.slice(at);
    else if (kind < 0.5) result = result.slice(0, at) + pick(random, TOKENS) + result.slice(at);
    else if (kind < 0.75) result = result.slice(0, at) + result.slice(at + 1 + int(random, 3));
    else result = result.slice(0, at) + pick(random, [...ALPHABET]) + result.slice(at + 1);
  }
  return result;
}

function randomBytes(random: Random): Uint8Array {
  const bytes = new Uint8Array(int(random, 16));
  for (let i = 0; i < bytes.length; i++) bytes[i] = int(random, 256);
  return random() < 0.5 ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function randomMessage(random: Random): string | Uint8Array {
  const kind = random();
  if (kind < 0.25) return randomBytes(random);
  if (kind < 0.45) return randomText(random);
  if (kind < 0.6) return pick(random, SEEDS);
  return mutate(random, pick(random, SEEDS));
}

const BINARY_SEEDS = SEEDS.filter((seed) => seed.startsWith("5") || seed.startsWith("6"));

/** A binary header (from SEEDS, often mutated) followed by as many attachments as it announces, ±1. */
function randomSequence(random: Random): (string | Uint8Array)[] {
  if (random() < 0.3) {
    const seed = pick(random, BINARY_SEEDS);
    const header = random() < 0.6 ? mutate(random, seed) : seed;
    const announced = Number(/^[56](\d{1,2})-/.exec(header)?.[1] ?? 1 + int(random, 3));
    const count = announced + pick(random, [0, 0, 0, -1, 1]);
    return [header, ...Array.from({ length: Math.max(0, count) }, () => randomBytes(random))];
  }
  return Array.from({ length: 1 + int(random, 6) }, () => randomMessage(random));
}

const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);
const ERRORS = new Set<string>(Object.values(DecodeError));

/**
 * Problems anywhere inside a decoded payload: functions (a prototype member as attachment), undefined
 * (JSON has none, so an unresolved placeholder), or binary that is not a Buffer.
 */
function payloadProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "function") return "function in payload";
    if (item === undefined) return "undefined in payload";
    if (typeof item !== "object" || item === null) continue;
    if (item instanceof Uint8Array) {
      if (!Buffer.isBuffer(item)) return "attachment is not a Buffer";
      continue;
    }
    for (const child of Object.values(item)) stack.push(child);
  }
  return undefined;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Why a decoded packet breaks the SioPacket contract, or undefined when it does not. */
function packetProblem(packet: SioPacket): string | undefined {
  if (typeof packet.nsp !== "string" || !packet.nsp.startsWith("/") || packet.nsp.includes(",")) return "bad nsp";
  const keys = Object.keys(packet).sort().join(",");
  switch (packet.type) {
    case 0:
      if (packet.data !== undefined && !isPlainObject(packet.data)) return "CONNECT data not an object";
      return keys === "nsp,type" || keys === "data,nsp,type" ? payloadProblem(packet.data) : `CONNECT keys ${keys}`;
    case 1:
      return keys === "nsp,type" ? undefined : `DISCONNECT keys ${keys}`;
    case 2: {
      if (!Array.isArray(packet.data) || packet.data.length === 0) return "EVENT data not a non-empty array";
      const name: unknown = packet.data[0];
      if (typeof name !== "number" && (typeof name !== "string" || RESERVED.has(name))) return "bad event name";
      if (packet.id !== undefined && !(Number.isSafeInteger(packet.id) && packet.id >= 0)) return "bad EVENT id";
      return payloadProblem(packet.data);
    }
    case 3:
      if (!Array.isArray(packet.data)) return "ACK data not an array";
      if (!(Number.isSafeInteger(packet.id) && packet.id >= 0)) return "bad ACK id";
      return payloadProblem(packet.data);
    case 4:
      if (!isPlainObject(packet.data) || typeof packet.data.message !== "string") return "bad CONNECT_ERROR data";
      return payloadProblem(packet.data);
    default:
      return `type ${(packet as { type: unknown }).type}`;
  }
}

type Tally = { packets: number; binaryPackets: number; waiting: number; errors: number };

/** Feeds one message and returns a problem description, or undefined when the answer is well-formed. */
function feed(decoder: SioDecoder, message: string | Uint8Array, tally: Tally): string | undefined {
  let result: DecodeResult<SioPacket | undefined>;
  try {
    result = decoder.add(message);
  } catch (error) {
    return `threw ${String(error)}`;
  }
  if (!result.ok) {
    tally.errors++;
    if (!ERRORS.has(result.error)) return `unknown error text "${result.error}"`;
    return decoder.pending ? "pending after an error" : undefined;
  }
  if (result.value === undefined) {
    tally.waiting++;
    return decoder.pending ? undefined : "waiting but not pending";
  }
  tally.packets++;
  if (typeof message !== "string") tally.binaryPackets++;
  if (decoder.pending) return "pending after a complete packet";
  return packetProblem(result.value);
}

function show(message: string | Uint8Array): string {
  return typeof message === "string" ? JSON.stringify(message.slice(0, 120)) : `bytes(${message.length})`;
}

describe("SioDecoder never throws and answers well-formed results (seeded fuzz)", () => {
  test("5000 sequences, each to a fresh decoder and all to one long-lived decoder", () => {
    const random = seededRandom(0x5eed10);
    const longLived = new SioDecoder();
    const fresh: Tally = { packets: 0, binaryPackets: 0, waiting: 0, errors: 0 };
    const shared: Tally = { packets: 0, binaryPackets: 0, waiting: 0, errors: 0 };
    const failures: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const sequence = randomSequence(random);
      const decoder = new SioDecoder();
      for (const message of sequence) {
        const problem = feed(decoder, message, fresh);
        if (problem !== undefined) failures.push(`#${i} fresh ${show(message)}: ${problem}`);
        const sharedProblem = feed(longLived, message, shared);
        if (sharedProblem !== undefined) failures.push(`#${i} long-lived ${show(message)}: ${sharedProblem}`);
      }
      if (failures.length > 20) break;
    }
    expect(failures).toEqual([]);
    // The generator must reach every outcome, or the fuzz proves little.
    for (const tally of [fresh, shared]) {
      expect(tally.packets).toBeGreaterThan(500);
      expect(tally.binaryPackets).toBeGreaterThan(100);
      expect(tally.waiting).toBeGreaterThan(500);
      expect(tally.errors).toBeGreaterThan(2000);
    }
  });

  test("random bytes decoded as UTF-8 text, after a waiting binary header too", () => {
    const random = seededRandom(0xb17e);
    const text = new TextDecoder();
    const failures: string[] = [];
    const tally: Tally = { packets: 0, binaryPackets: 0, waiting: 0, errors: 0 };
    for (let i = 0; i < 2000; i++) {
      const decoder = new SioDecoder();
      const bytes = new Uint8Array(int(random, 48));
      for (let j = 0; j < bytes.length; j++) bytes[j] = int(random, 256);
      const message = `${pick(random, ["", "2", "5", "0/", "61-"])}${text.decode(bytes)}`;
      if (i % 2 === 0) feed(decoder, '51-["x",{"_placeholder":true,"num":0}]', tally);
      const problem = feed(decoder, message, tally);
      if (problem !== undefined) failures.push(`#${i} ${show(message)}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });
});

/** Random JSON-compatible data with binary values sprinkled in, a few levels deep. */
function randomData(random: Random, depth: number): unknown {
  const kind = random();
  if (depth > 3 || kind < 0.35) {
    return pick(random, [0, -1, 1.5, 1e21, "", "a,b", '"q"', "[{", "\u00e9", true, false, null]);
  }
  if (kind < 0.5) return pick(random, [new Uint8Array([int(random, 256)]), Buffer.from("hi"), new ArrayBuffer(2)]);
  if (kind < 0.75) return Array.from({ length: int(random, 4) }, () => randomData(random, depth + 1));
  const record: Record<string, unknown> = {};
  for (let i = int(random, 4); i > 0; i--) {
    const key = pick(random, ["a", "_placeholder", "num", "__proto__", "0", "x y"]);
    // `_placeholder: true` is left out on purpose: in a binary packet the protocol cannot tell such
    // user data from a real placeholder (the reference parser has the same ambiguity).
    const value = key === "_placeholder" ? "not a placeholder" : randomData(random, depth + 1);
    // defineProperty: a "__proto__" key must be data, as JSON.parse makes it, not a prototype change.
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return record;
}

/** What the decoder yields for `value`: every binary as a Buffer of the same bytes. */
function withBuffers(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (Array.isArray(value)) return value.map(withBuffers);
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: withBuffers(item), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

test("1000 random valid packets round-trip encode → decode", () => {
  const random = seededRandom(0xc0de);
  const decoder = new SioDecoder(); // one decoder for all: each round trip must leave it idle
  let binary = 0;
  for (let i = 0; i < 1000; i++) {
    const nsp = pick(random, ["/", "/admin", "/a/b", "/0"]);
    const args = Array.from({ length: int(random, 4) }, () => randomData(random, 1));
    const kind = int(random, 5);
    const packet: SioPacket =
      kind === 0
        ? { type: 2, nsp, data: [pick(random, ["msg", "error", "a,b", 7]), ...args] }
        : kind === 1
          ? { type: 2, nsp, data: ["msg", ...args], id: int(random, 1e6) }
          : kind === 2
            ? { type: 3, nsp, data: args, id: pick(random, [0, 1, 2 ** 31 - 1]) }
            : kind === 3
              ? { type: 0, nsp, data: { sid: "s", extra: args.filter((arg) => !(arg instanceof ArrayBuffer || ArrayBuffer.isView(arg))).length } }
              : { type: 4, nsp, data: { message: "m", data: { code: int(random, 10) } } };
    const messages = encodePacket(packet);
    if (messages.length > 1) binary++;
    let result: DecodeResult<SioPacket | undefined> = { ok: false, error: "nothing fed" };
    for (const message of messages) result = decoder.add(message);
    expect(result).toEqual({ ok: true, value: withBuffers(packet) as SioPacket });
    expect(decoder.pending).toBe(false);
  }
  expect(binary).toBeGreaterThan(200);
});
