// Socket.IO packet codec: the wire examples of protocol.md §3.1 both ways, every rejection of §3.5 and
// advisories.md §3, binary attachments, and the depth bounds. Inputs are in the engine-stripped form
// (the engine's leading "4" is gone: `42["x"]` on the wire is `2["x"]` here).
import { describe, expect, test } from "bun:test";
import {
  DecodeError,
  ENCODE_MAX_DEPTH,
  encodePacket,
  hasBinary,
  SioDecoder,
  type DecodeResult,
  type SioPacket,
} from "../../src/socketio/parser/index.ts";

type Result = DecodeResult<SioPacket | undefined>;

/** Feeds messages in order; every one before the last must leave a binary packet waiting. */
function decode(messages: readonly (string | Uint8Array)[], decoder = new SioDecoder()): Result {
  let result: Result = { ok: false, error: "no message" };
  messages.forEach((message, index) => {
    result = decoder.add(message);
    if (index < messages.length - 1) expect(result).toEqual({ ok: true, value: undefined });
  });
  return result;
}

function decoded(messages: readonly (string | Uint8Array)[] | string): SioPacket | undefined {
  const result = decode(typeof messages === "string" ? [messages] : messages);
  if (!result.ok) throw new Error(`expected a packet, got error "${result.error}"`);
  return result.value;
}

function rejection(messages: readonly (string | Uint8Array)[] | string, decoder = new SioDecoder()): string {
  const list = typeof messages === "string" ? [messages] : messages;
  const result = decoder.add(list[0] ?? "");
  for (const message of list.slice(1)) {
    if (!result.ok) break;
    Object.assign(result, decoder.add(message));
  }
  if (result.ok) throw new Error(`expected a rejection of ${JSON.stringify(list)}`);
  expect(decoder.pending).toBe(false); // an error always leaves the decoder idle
  return result.error;
}

/** `levels` arrays, each the only element of the previous one, built without recursion. */
function deepArray(levels: number): unknown[] {
  const root: unknown[] = [];
  let current = root;
  for (let i = 1; i < levels; i++) {
    const next: unknown[] = [];
    current.push(next);
    current = next;
  }
  return root;
}

/** The value with every binary replaced by a Buffer of the same bytes (what the decoder yields). */
function withBuffers(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (Array.isArray(value)) return value.map(withBuffers);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withBuffers(item)]));
  }
  return value;
}

const PH0 = '{"_placeholder":true,"num":0}';
const PH1 = '{"_placeholder":true,"num":1}';

// Each wire example of protocol.md §3.1 with the packet it stands for.
const TEXT_EXAMPLES: [string, SioPacket][] = [
  ['2["foo"]', { type: 2, nsp: "/", data: ["foo"] }],
  ['2/admin,["bar"]', { type: 2, nsp: "/admin", data: ["bar"] }],
  ['212["foo"]', { type: 2, nsp: "/", data: ["foo"], id: 12 }],
  ['3/admin,13["bar"]', { type: 3, nsp: "/admin", data: ["bar"], id: 13 }],
  ["3456[]", { type: 3, nsp: "/", data: [], id: 456 }],
  ["0", { type: 0, nsp: "/" }],
  ['0{"sid":"oSO0OpakMV_3jnilAAAA"}', { type: 0, nsp: "/", data: { sid: "oSO0OpakMV_3jnilAAAA" } }],
  ['0/admin,{"sid":"x"}', { type: 0, nsp: "/admin", data: { sid: "x" } }],
  ['4{"message":"Not authorized"}', { type: 4, nsp: "/", data: { message: "Not authorized" } }],
  ['4/random,{"message":"Invalid namespace"}', { type: 4, nsp: "/random", data: { message: "Invalid namespace" } }],
  [
    '4/chat,{"message":"bad token","data":{"code":401}}',
    { type: 4, nsp: "/chat", data: { message: "bad token", data: { code: 401 } } },
  ],
  ["1", { type: 1, nsp: "/" }],
  ["1/admin,", { type: 1, nsp: "/admin" }],
];

describe("encodePacket", () => {
  test.each(TEXT_EXAMPLES)("%s", (wire, packet) => {
    expect(encodePacket(packet)).toEqual([wire]);
  });

  test("JSON.stringify drops undefined: {sid, pid: undefined} is sent as {\"sid\":…}", () => {
    expect(encodePacket({ type: 0, nsp: "/", data: { sid: "x", pid: undefined } })).toEqual(['0{"sid":"x"}']);
    expect(encodePacket({ type: 0, nsp: "/", data: { sid: "x", pid: "p" } })).toEqual(['0{"sid":"x","pid":"p"}']);
  });

  test("an EVENT with binary becomes BINARY_EVENT: placeholder header, then the attachment", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const messages = encodePacket({ type: 2, nsp: "/", data: ["baz", bytes] });
    expect(messages).toEqual([`51-["baz",${PH0}]`, bytes]);
    expect(messages[1]).toBe(bytes); // a Uint8Array goes out as is
  });

  test("two attachments on a namespace, numbered in depth-first order", () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    expect(encodePacket({ type: 2, nsp: "/admin", data: ["baz", a, b] })).toEqual([`52-/admin,["baz",${PH0},${PH1}]`, a, b]);
  });

  test("an ACK with binary becomes BINARY_ACK: 61-15[…]", () => {
    const bytes = new Uint8Array([9]);
    expect(encodePacket({ type: 3, nsp: "/", data: ["bar", bytes], id: 15 })).toEqual([`61-15["bar",${PH0}]`, bytes]);
    expect(encodePacket({ type: 3, nsp: "/admin", data: [bytes], id: 789 })).toEqual([`61-/admin,789[${PH0}]`, bytes]);
  });

  test("nested binary in arrays and objects: Uint8Array, Buffer, ArrayBuffer, DataView, Float32Array", () => {
    const u8 = new Uint8Array([1, 2]);
    const buffer = Buffer.from([3, 4]);
    const arrayBuffer = new Uint8Array([5, 6, 7]).buffer;
    const backing = new Uint8Array([0, 10, 11, 12, 0]).buffer;
    const view = new DataView(backing, 1, 3);
    const floats = new Float32Array([1.5]);
    const data = ["upload", { file: { name: "a", bytes: u8 }, parts: [buffer, [arrayBuffer]] }, view, { f: floats }];
    const messages = encodePacket({ type: 2, nsp: "/", data, id: 7 });
    expect(messages[0]).toBe(
      '55-7["upload",{"file":{"name":"a","bytes":{"_placeholder":true,"num":0}},' +
        '"parts":[{"_placeholder":true,"num":1},[{"_placeholder":true,"num":2}]]},' +
        '{"_placeholder":true,"num":3},{"f":{"_placeholder":true,"num":4}}]',
    );
    const attachments = messages.slice(1);
    expect(attachments.map((a) => (a instanceof Uint8Array ? [...a] : a))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7],
      [10, 11, 12],
      [...new Uint8Array(floats.buffer)],
    ]);
    // Views over the same memory, not copies.
    expect(attachments[1]).toBe(buffer);
    const ab = attachments[2] as Uint8Array;
    expect(ab.buffer).toBe(arrayBuffer);
    const dv = attachments[3] as Uint8Array;
    expect([dv.buffer === backing, dv.byteOffset, dv.byteLength]).toEqual([true, 1, 3]);
    // The caller's data is left untouched.
    expect(data[1]).toEqual({ file: { name: "a", bytes: u8 }, parts: [buffer, [arrayBuffer]] });
    expect(data[2]).toBe(view);
  });

  test("a binary value under a __proto__ key stays an own key in the copy", () => {
    const data = JSON.parse('["x",{"__proto__":0}]') as unknown[];
    (data[1] as Record<string, unknown>)["__proto__"] = new Uint8Array([1]); // writes the own property
    expect(encodePacket({ type: 2, nsp: "/", data })[0]).toBe(`51-["x",{"__proto__":${PH0}}]`);
  });

  test("toJSON objects are serialized as usual and are leaves for the binary scan", () => {
    expect(encodePacket({ type: 2, nsp: "/", data: ["at", new Date(0)] })).toEqual(['2["at","1970-01-01T00:00:00.000Z"]']);
    // Documented limit: binary returned by a toJSON is not turned into an attachment.
    const wrapped = { toJSON: () => ({ b: new Uint8Array([1]) }) };
    expect(hasBinary([wrapped])).toBe(false);
    expect(encodePacket({ type: 2, nsp: "/", data: ["w", wrapped] })).toEqual(['2["w",{"b":{"0":1}}]']);
    // A Buffer has a toJSON too, but it is binary first.
    expect(hasBinary([Buffer.from([1])])).toBe(true);
  });

  test("data JSON cannot carry: BigInt gives JSON.stringify's TypeError", () => {
    expect(() => encodePacket({ type: 2, nsp: "/", data: ["n", 1n] })).toThrow(TypeError);
  });
});

describe("hasBinary", () => {
  test("finds binary anywhere in arrays and plain objects", () => {
    expect(hasBinary(undefined)).toBe(false);
    expect(hasBinary(null)).toBe(false);
    expect(hasBinary("x")).toBe(false);
    expect(hasBinary(["a", 1, { b: [true, null] }])).toBe(false);
    expect(hasBinary(new Uint8Array(0))).toBe(true);
    expect(hasBinary(new ArrayBuffer(1))).toBe(true);
    expect(hasBinary(["a", { b: [1, { c: Buffer.alloc(1) }] }])).toBe(true);
    expect(hasBinary([new DataView(new ArrayBuffer(2))])).toBe(true);
    expect(hasBinary({ x: new Int16Array(1) })).toBe(true);
    // Inherited properties are not data (JSON.stringify skips them too).
    expect(hasBinary([Object.create({ inherited: new Uint8Array(1) }) as object])).toBe(false);
  });

  test("a 100 000-deep array built iteratively: no RangeError, just false", () => {
    const deep = deepArray(100_000);
    expect(() => hasBinary(deep)).not.toThrow();
    expect(hasBinary(deep)).toBe(false);
    // Binary past the first over-deep branch is not looked for.
    expect(hasBinary([deep, new Uint8Array(1)])).toBe(false);
    expect(hasBinary([new Uint8Array(1), deep])).toBe(true);
  });

  test("cyclic data ends the walk instead of looping", () => {
    const cyclic: unknown[] = ["a"];
    cyclic.push(cyclic, cyclic);
    expect(hasBinary(cyclic)).toBe(false);
  });
});

describe("encodePacket depth bound", () => {
  const tooDeep = "data too deeply nested";

  test(`${ENCODE_MAX_DEPTH} levels encode, one more throws Error("${tooDeep}")`, () => {
    const ok = encodePacket({ type: 3, nsp: "/", data: deepArray(ENCODE_MAX_DEPTH), id: 1 });
    expect(ok[0]).toBe(`31${"[".repeat(ENCODE_MAX_DEPTH)}${"]".repeat(ENCODE_MAX_DEPTH)}`);
    expect(() => encodePacket({ type: 3, nsp: "/", data: deepArray(ENCODE_MAX_DEPTH + 1), id: 1 })).toThrow(tooDeep);
  });

  function expectTooDeep(attempt: () => unknown): void {
    let thrown: unknown;
    try {
      attempt();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(RangeError);
    expect((thrown as Error).message).toBe(tooDeep);
  }

  test("100 000 levels: a clean Error, not a RangeError, on every packet type", () => {
    const deep = deepArray(100_000);
    expectTooDeep(() => encodePacket({ type: 2, nsp: "/", data: ["deep", deep] }));
    expectTooDeep(() => encodePacket({ type: 3, nsp: "/", data: [deep], id: 1 }));
    // Binary first: the scan stops there, the deconstruction meets the depth.
    expectTooDeep(() => encodePacket({ type: 2, nsp: "/", data: ["deep", new Uint8Array(1), deep] }));
    expectTooDeep(() => encodePacket({ type: 0, nsp: "/", data: { deep } }));
    expectTooDeep(() => encodePacket({ type: 4, nsp: "/", data: { message: "no", data: deep } }));
  });

  test("too deep behind a toJSON: JSON.stringify's own RangeError is translated", () => {
    // Slow on purpose (~0.8 s): Bun takes that long to unwind JSON.stringify's stack overflow.
    const deep = deepArray(100_000);
    expectTooDeep(() => encodePacket({ type: 2, nsp: "/", data: ["deep", { toJSON: () => deep }] }));
  });

  test("cyclic data throws the same Error", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => encodePacket({ type: 2, nsp: "/", data: ["c", cyclic] })).toThrow(tooDeep);
    expect(() => encodePacket({ type: 2, nsp: "/", data: ["c", new Uint8Array(1), cyclic] })).toThrow(tooDeep);
  });
});

describe("SioDecoder: valid packets", () => {
  test.each(TEXT_EXAMPLES)("%s", (wire, packet) => {
    expect(decoded(wire)).toEqual(packet);
  });

  test("every example round-trips decode → encode to the same string", () => {
    for (const [wire] of TEXT_EXAMPLES) {
      const packet = decoded(wire);
      if (packet === undefined) throw new Error("no packet");
      expect(encodePacket(packet)).toEqual([wire]);
    }
  });

  test("a namespace at the end of the string needs no comma", () => {
    expect(decoded("0/custom")).toEqual({ type: 0, nsp: "/custom" });
    expect(decoded("1/custom")).toEqual({ type: 1, nsp: "/custom" });
    expect(decoded("0/")).toEqual({ type: 0, nsp: "/" });
  });

  test("CONNECT carries the auth object", () => {
    expect(decoded('0{"token":"123"}')).toEqual({ type: 0, nsp: "/", data: { token: "123" } });
    expect(decoded('0/admin,{"token":"123"}')).toEqual({ type: 0, nsp: "/admin", data: { token: "123" } });
  });

  test("event names: strings, numbers, and `error`", () => {
    expect(decoded('2["error","x"]')).toEqual({ type: 2, nsp: "/", data: ["error", "x"] });
    expect(decoded("2[42,1]")).toEqual({ type: 2, nsp: "/", data: [42, 1] });
    expect(decoded('2["connection"]')).toEqual({ type: 2, nsp: "/", data: ["connection"] });
  });

  test("ack ids up to 2^31 - 1", () => {
    expect(decoded('22147483647["x"]')).toEqual({ type: 2, nsp: "/", data: ["x"], id: 2 ** 31 - 1 });
    expect(decoded("32147483647[]")).toEqual({ type: 3, nsp: "/", data: [], id: 2 ** 31 - 1 });
    expect(decoded("30[]")).toEqual({ type: 3, nsp: "/", data: [], id: 0 });
  });

  test("CONNECT_ERROR as a bare string is wrapped as {message}", () => {
    expect(decoded('4"Not authorized"')).toEqual({ type: 4, nsp: "/", data: { message: "Not authorized" } });
  });

  test("a __proto__ key in a payload is plain data", () => {
    const packet = decoded('0{"__proto__":{"admin":true}}');
    expect(packet?.type).toBe(0);
    const data = (packet as { data: Record<string, unknown> }).data;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.hasOwn(data, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["admin"]).toBeUndefined();
  });
});

describe("SioDecoder: binary packets", () => {
  test("51-[…] then one attachment: EVENT with a Buffer in place", () => {
    const decoder = new SioDecoder();
    expect(decoder.add(`51-["baz",${PH0}]`)).toEqual({ ok: true, value: undefined });
    expect(decoder.pending).toBe(true);
    const bytes = new Uint8Array([1, 2, 3]);
    const result = decoder.add(bytes);
    expect(decoder.pending).toBe(false);
    if (!result.ok || result.value?.type !== 2) throw new Error("expected an EVENT");
    const attachment = result.value.data[1];
    expect(Buffer.isBuffer(attachment)).toBe(true);
    // A Buffer view over the received bytes, no copy.
    const buffer = attachment as Buffer;
    expect([buffer.buffer === bytes.buffer, buffer.byteOffset, buffer.byteLength]).toEqual([true, 0, 3]);
    expect(result.value).toEqual({ type: 2, nsp: "/", data: ["baz", Buffer.from([1, 2, 3])] });
  });

  test("an attachment that is already a Buffer (Bun WebSocket) is used as is", () => {
    const buffer = Buffer.from([7]);
    const packet = decoded([`51-["x",${PH0}]`, buffer]);
    expect((packet as { data: unknown[] }).data[1]).toBe(buffer);
  });

  test("a view into a larger ArrayBuffer keeps its offset", () => {
    const big = new Uint8Array([0, 0, 5, 6, 0]);
    const packet = decoded([`51-["x",${PH0}]`, big.subarray(2, 4)]);
    expect((packet as { data: unknown[] }).data[1]).toEqual(Buffer.from([5, 6]));
  });

  test("52-/admin,[…] attachments go where their num says, on a namespace", () => {
    const packet = decoded([`52-/admin,["baz",${PH1},{"nested":[${PH0}]}]`, Buffer.from("a"), Buffer.from("b")]);
    expect(packet).toEqual({ type: 2, nsp: "/admin", data: ["baz", Buffer.from("b"), { nested: [Buffer.from("a")] }] });
  });

  test("BINARY_ACK 61-15[…] comes out as an ACK", () => {
    expect(decoded([`61-15["bar",${PH0}]`, Buffer.from([1])])).toEqual({ type: 3, nsp: "/", data: ["bar", Buffer.from([1])], id: 15 });
  });

  test("BINARY_EVENT with an ack id", () => {
    expect(decoded([`51-/chat,42["up",${PH0}]`, Buffer.from([1])])).toEqual({
      type: 2,
      nsp: "/chat",
      data: ["up", Buffer.from([1])],
      id: 42,
    });
  });

  test("exactly maxAttachments attachments are fine", () => {
    const placeholders = Array.from({ length: 10 }, (_, i) => `{"_placeholder":true,"num":${i}}`).join(",");
    const buffers = Array.from({ length: 10 }, (_, i) => Buffer.from([i]));
    const packet = decoded([`510-["many",${placeholders}]`, ...buffers]);
    expect(packet).toEqual({ type: 2, nsp: "/", data: ["many", ...buffers] });
  });

  test("an index may be used twice, an attachment may go unused (as the reference parser)", () => {
    expect(decoded([`52-["x",${PH0},${PH0}]`, Buffer.from([1]), Buffer.from([2])])).toEqual({
      type: 2,
      nsp: "/",
      data: ["x", Buffer.from([1]), Buffer.from([1])],
    });
  });

  test("objects whose _placeholder is not true are ordinary data", () => {
    expect(decoded([`51-["x",{"_placeholder":"true","num":0},${PH0}]`, Buffer.from([1])])).toEqual({
      type: 2,
      nsp: "/",
      data: ["x", { _placeholder: "true", num: 0 }, Buffer.from([1])],
    });
    // And in a non-binary packet a placeholder-shaped object is just data.
    expect(decoded(`2["x",${PH0}]`)).toEqual({ type: 2, nsp: "/", data: ["x", { _placeholder: true, num: 0 }] });
  });

  test("a placeholder under a __proto__ key fills that own key, the prototype is untouched", () => {
    const packet = decoded([`51-["x",{"__proto__":${PH0}}]`, Buffer.from([1])]);
    const holder = (packet as { data: unknown[] }).data[1] as Record<string, unknown>;
    expect(Object.getPrototypeOf(holder)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(holder, "__proto__")?.value).toEqual(Buffer.from([1]));
  });

  test("encode → decode round trips for binary packets, with exact headers", () => {
    const cases: [SioPacket, string][] = [
      [{ type: 2, nsp: "/", data: ["baz", new Uint8Array([1])] }, `51-["baz",${PH0}]`],
      [{ type: 2, nsp: "/admin", data: ["baz", new Uint8Array([1]), new Uint8Array([2])] }, `52-/admin,["baz",${PH0},${PH1}]`],
      [{ type: 3, nsp: "/", data: ["bar", new Uint8Array([3])], id: 15 }, `61-15["bar",${PH0}]`],
      [
        { type: 2, nsp: "/", data: ["mix", { a: [1, new ArrayBuffer(2)], b: { c: Buffer.from("hi") } }], id: 3 },
        `52-3["mix",{"a":[1,${PH0}],"b":{"c":${PH1}}}]`,
      ],
    ];
    for (const [packet, header] of cases) {
      const messages = encodePacket(packet);
      expect(messages[0]).toBe(header);
      const back = decoded(messages);
      // The decoder hands back Buffers wherever the sender had any kind of binary.
      expect(back).toEqual(withBuffers(packet) as SioPacket);
      expect(encodePacket(back as SioPacket)).toEqual(messages.map((m) => (typeof m === "string" ? m : Buffer.from(m))));
    }
  });

  test("pending and reset(): a dropped partial packet leaves the decoder idle", () => {
    const decoder = new SioDecoder();
    expect(decoder.pending).toBe(false);
    decoder.add(`52-["x",${PH0},${PH1}]`);
    expect(decoder.add(Buffer.from([1]))).toEqual({ ok: true, value: undefined });
    expect(decoder.pending).toBe(true);
    decoder.reset();
    expect(decoder.pending).toBe(false);
    expect(decoder.add(Buffer.from([2]))).toEqual({ ok: false, error: "got binary data when not reconstructing a packet" });
    expect(decoder.add('2["next"]')).toEqual({ ok: true, value: { type: 2, nsp: "/", data: ["next"] } });
  });
});

/** Test titles for [input, error] rows, long inputs shortened. */
function named(rows: [string, string][]): [string, string, string][] {
  return rows.map(([input, error]) => {
    const shown = input.length > 60 ? `${input.slice(0, 24)}…(${input.length} chars)` : input;
    return [`${JSON.stringify(shown)} → ${error}`, input, error];
  });
}

describe("SioDecoder: rejections", () => {
  // [input, expected error]; inputs are engine-stripped (protocol.md §3.5 lists them after the "4").
  const cases: [string, string][] = [
    ["", DecodeError.EMPTY],
    ["abc", "unknown packet type"], // `4abc` on the wire
    ["7[]", "unknown packet type"],
    ["9", "unknown packet type"],
    ['/["x"]', "unknown packet type"],
    ["2{}", DecodeError.INVALID_PAYLOAD], // `42{}`
    ["2[]", DecodeError.INVALID_PAYLOAD], // `42[]`
    ['2[{"toString":"foo"}]', DecodeError.INVALID_PAYLOAD], // CVE-2023-32695
    ['2[{"toString":"x"}]', DecodeError.INVALID_PAYLOAD],
    ['2[true,"foo"]', DecodeError.INVALID_PAYLOAD],
    ['2[null,"bar"]', DecodeError.INVALID_PAYLOAD],
    ['2[["a"]]', DecodeError.INVALID_PAYLOAD],
    ['2"foo"', DecodeError.INVALID_PAYLOAD],
    ['2abc["x"]', DecodeError.INVALID_JSON], // `42abc[...]`
    ['2["x"', DecodeError.INVALID_JSON],
    ['2["x"]]', DecodeError.INVALID_JSON],
    ['2/admin["x"]', DecodeError.MISSING_PAYLOAD], // no comma: all of it is the namespace
    ['2/admin["x","y"]', DecodeError.INVALID_JSON], // the namespace runs to the first comma
    ['2admin,["x"]', DecodeError.INVALID_JSON], // a namespace must start with "/"
    ["2", DecodeError.MISSING_PAYLOAD],
    ["21", DecodeError.MISSING_PAYLOAD], // `421`: stricter than the reference, which dispatches no args
    ["2/admin,", DecodeError.MISSING_PAYLOAD],
    ['22147483648["x"]', DecodeError.INVALID_ACK_ID], // 2^31
    ["32147483648[]", DecodeError.INVALID_ACK_ID],
    ['29999999999["x"]', DecodeError.INVALID_ACK_ID], // 10 digits
    ['202147483647["x"]', DecodeError.INVALID_ACK_ID], // 11 digits, even with a leading zero
    ['29007199254740992["x"]', DecodeError.INVALID_ACK_ID], // 2^53
    ['299999999999999999["x"]', DecodeError.INVALID_ACK_ID],
    [`2${"1".repeat(100_000)}["x"]`, DecodeError.INVALID_ACK_ID],
    [`2${"0".repeat(20)}1["x"]`, DecodeError.INVALID_ACK_ID],
    ["3", DecodeError.MISSING_PAYLOAD],
    ['3["x"]', DecodeError.MISSING_ACK_ID],
    ["31", DecodeError.MISSING_PAYLOAD],
    ["31{}", DecodeError.INVALID_PAYLOAD],
    ['31"x"', DecodeError.INVALID_PAYLOAD],
    ["0[]", DecodeError.INVALID_PAYLOAD],
    ["0null", DecodeError.INVALID_PAYLOAD],
    ['0"token"', DecodeError.INVALID_PAYLOAD],
    ["0{", DecodeError.INVALID_JSON],
    ["01", DecodeError.UNEXPECTED_ACK_ID],
    ["0/admin,5{}", DecodeError.UNEXPECTED_ACK_ID],
    ["11", DecodeError.UNEXPECTED_ACK_ID],
    ['1["x"]', DecodeError.UNEXPECTED_PAYLOAD],
    ["1/admin,{}", DecodeError.UNEXPECTED_PAYLOAD],
    ["1/admin,x", DecodeError.UNEXPECTED_PAYLOAD],
    ["4", DecodeError.MISSING_PAYLOAD],
    ['41{"message":"x"}', DecodeError.UNEXPECTED_ACK_ID],
    ["4[]", DecodeError.INVALID_PAYLOAD],
    ["4null", DecodeError.INVALID_PAYLOAD],
    ['4{"data":1}', DecodeError.INVALID_PAYLOAD],
    ['4{"message":5}', DecodeError.INVALID_PAYLOAD],
    ["4{", DecodeError.INVALID_JSON],
  ];
  test.each(named(cases))("%s", (_name, input, error) => {
    expect(rejection(input)).toBe(error);
  });

  test.each(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"])(
    "reserved event name %s",
    (name) => {
      expect(rejection(`2["${name}"]`)).toBe(DecodeError.RESERVED_EVENT);
      expect(rejection(`2/admin,1["${name}",1]`)).toBe(DecodeError.RESERVED_EVENT);
      expect(rejection(`51-["${name}",${PH0}]`)).toBe(DecodeError.RESERVED_EVENT);
    },
  );

  const attachmentCases: [string, string][] = [
    ['50-["x"]', "illegal attachments"], // would wait forever for zero attachments
    ['5-["x"]', "illegal attachments"],
    ['5x-["x"]', "illegal attachments"],
    ['51["x"]', "illegal attachments"], // missing "-"
    ["5", "illegal attachments"],
    ["51", "illegal attachments"],
    ['5-1-["x"]', "illegal attachments"],
    ['51.5-["x"]', "illegal attachments"],
    [`5${"0".repeat(20)}1-["x"]`, "illegal attachments"],
    ['51000000-["x"]', "too many attachments"], // CVE-2026-33151
    [`511-["x",${PH0}]`, "too many attachments"],
    [`5${"9".repeat(100_000)}-["x"]`, "too many attachments"],
    ['61-["x"]', DecodeError.MISSING_ACK_ID],
    ["61-1", DecodeError.MISSING_PAYLOAD],
    ['51-1["x"', DecodeError.INVALID_JSON],
    [`51-{"0":${PH0}}`, DecodeError.INVALID_PAYLOAD],
    [`51-[${PH0}]`, DecodeError.INVALID_PAYLOAD], // the event name cannot be a placeholder
    // Placeholders are checked as soon as the header arrives (CVE-2022-2421).
    ['51-["hello",{"_placeholder":true,"num":"splice"}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":"0"}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":1.5}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":-1}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":1}]', "illegal attachments"],
    ['52-["hello",{"_placeholder":true,"num":2}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":null}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true}]', "illegal attachments"],
    ['51-["hello",{"_placeholder":true,"num":[0]}]', "illegal attachments"],
    ['51-["hello",{"a":[{"b":{"_placeholder":true,"num":"constructor"}}]}]', "illegal attachments"],
    ['61-3[{"_placeholder":true,"num":1e300}]', "illegal attachments"],
  ];
  test.each(named(attachmentCases))("%s", (_name, input, error) => {
    expect(rejection(input)).toBe(error);
  });

  test("maxAttachments is configurable", () => {
    const decoder = new SioDecoder({ maxAttachments: 2 });
    expect(rejection(`53-["x",${PH0}]`, decoder)).toBe("too many attachments");
    expect(decoder.add(`52-["x",${PH0},${PH1}]`)).toEqual({ ok: true, value: undefined });
    const none = new SioDecoder({ maxAttachments: 0 });
    expect(rejection(`51-["x",${PH0}]`, none)).toBe("too many attachments");
  });

  test("text while reconstructing: error, then the decoder is idle and usable again", () => {
    const decoder = new SioDecoder();
    expect(decoder.add(`51-["x",${PH0}]`)).toEqual({ ok: true, value: undefined });
    expect(decoder.add('2["y"]')).toEqual({ ok: false, error: "got plaintext data when reconstructing a packet" });
    expect(decoder.pending).toBe(false);
    expect(decoder.add('2["z"]')).toEqual({ ok: true, value: { type: 2, nsp: "/", data: ["z"] } });
  });

  test("binary when not reconstructing", () => {
    const decoder = new SioDecoder();
    expect(decoder.add(new Uint8Array([1]))).toEqual({ ok: false, error: "got binary data when not reconstructing a packet" });
    decoder.add(`51-["x",${PH0}]`);
    decoder.add(new Uint8Array([1]));
    // The packet completed: one more attachment is not expected.
    expect(decoder.add(new Uint8Array([2]))).toEqual({ ok: false, error: "got binary data when not reconstructing a packet" });
  });

  test("a bad header while idle does not start a reconstruction", () => {
    const decoder = new SioDecoder();
    expect(rejection('51-["hello",{"_placeholder":true,"num":"splice"}]', decoder)).toBe("illegal attachments");
    expect(decoder.add(new Uint8Array([1])).ok).toBe(false);
  });

  test("values of the wrong type from an untyped caller are an error, not a throw", () => {
    const decoder = new SioDecoder();
    for (const value of [undefined, null, 42, {}, new ArrayBuffer(1), ["2"]]) {
      expect(decoder.add(value as unknown as string)).toEqual({ ok: false, error: DecodeError.UNSUPPORTED_MESSAGE });
    }
  });

  test("bad options are a RangeError at construction", () => {
    expect(() => new SioDecoder({ maxAttachments: -1 })).toThrow(RangeError);
    expect(() => new SioDecoder({ maxAttachments: 1.5 })).toThrow(RangeError);
    expect(() => new SioDecoder({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => new SioDecoder({ maxDepth: Number.NaN })).toThrow(RangeError);
    expect(() => new SioDecoder({ maxConnectPayload: -1 })).toThrow(RangeError);
    expect(() => new SioDecoder({ maxConnectPayload: Number.NaN })).toThrow(RangeError);
  });
});

describe("SioDecoder: CONNECT payloads over a limit name their namespace (answered, not closed)", () => {
  test("maxConnectPayload counts UTF-8 bytes of the payload; at the limit it passes", () => {
    const decoder = new SioDecoder({ maxConnectPayload: 20 });
    const atLimit = `{"a":"${"x".repeat(12)}"}`; // 20 bytes
    expect(decoder.add(`0${atLimit}`)).toEqual({ ok: true, value: { type: 0, nsp: "/", data: { a: "x".repeat(12) } } });
    expect(decoder.add(`0/admin,{"a":"${"x".repeat(13)}"}`)).toEqual({
      ok: false,
      error: DecodeError.CONNECT_PAYLOAD_TOO_LARGE,
      refusedConnect: "/admin",
    });
    // 13 characters but 23 bytes: "€" is 3 bytes of UTF-8.
    expect(decoder.add(`0{"a":"${"€".repeat(5)}"}`)).toEqual({ ok: false, error: DecodeError.CONNECT_PAYLOAD_TOO_LARGE, refusedConnect: "/" });
    // Other packet types are not bounded by it, and the decoder stays usable.
    expect(decoder.add(`2["x","${"y".repeat(100)}"]`).ok).toBe(true);
  });

  test("a CONNECT nested beyond maxDepth is refused with its namespace; an EVENT is a plain failure", () => {
    const decoder = new SioDecoder({ maxDepth: 3 });
    expect(decoder.add('0/admin,{"a":[[1]]}')).toEqual({ ok: true, value: { type: 0, nsp: "/admin", data: { a: [[1]] } } });
    expect(decoder.add('0/admin,{"a":[[[1]]]}')).toEqual({ ok: false, error: DecodeError.TOO_DEEP, refusedConnect: "/admin" });
    expect(decoder.add('2["x",[[[1]]]]')).toEqual({ ok: false, error: DecodeError.TOO_DEEP });
    // A malformed CONNECT is still a protocol error of its own.
    expect(decoder.add("0[]")).toEqual({ ok: false, error: DecodeError.INVALID_PAYLOAD });
  });
});

describe("SioDecoder: payload depth", () => {
  const nested = (depth: number, inner = ""): string => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;

  test("a 100 000-deep [[[…]]] is refused before JSON.parse (which would overflow its stack)", () => {
    const deep = nested(100_000);
    expect(rejection(`2["x",${deep}]`)).toBe(DecodeError.TOO_DEEP);
    expect(rejection(`0{"a":${deep}}`)).toBe(DecodeError.TOO_DEEP);
    expect(rejection(`51-["x",${deep}]`)).toBe(DecodeError.TOO_DEEP);
    // Unbalanced: never closed.
    expect(rejection(`2${"[".repeat(100_000)}`)).toBe(DecodeError.TOO_DEEP);
  });

  test("64 levels are accepted by default, 65 are not", () => {
    expect(decoded(`2["x",${nested(63)}]`)?.type).toBe(2);
    expect(rejection(`2["x",${nested(64)}]`)).toBe(DecodeError.TOO_DEEP);
    expect(decoded(`0${"{\"a\":".repeat(63)}{}${"}".repeat(63)}`)?.type).toBe(0);
    expect(rejection(`0${"{\"a\":".repeat(64)}{}${"}".repeat(64)}`)).toBe(DecodeError.TOO_DEEP);
  });

  test("brackets inside strings do not count, escapes are honoured", () => {
    const brackets = "[{".repeat(500);
    expect(decoded(`2["x","${brackets}"]`)).toEqual({ type: 2, nsp: "/", data: ["x", brackets] });
    // An escaped quote does not end the string: the brackets after it are still text.
    expect(decoded(`2["x","\\"${brackets}"]`)).toEqual({ type: 2, nsp: "/", data: ["x", `"${brackets}`] });
    expect(decoded(`2["x","\\\\\\"${brackets}"]`)).toEqual({ type: 2, nsp: "/", data: ["x", `\\"${brackets}`] });
    // An escaped backslash does end it: the brackets after it are structure again.
    expect(rejection(`2["x","\\\\",${nested(100)}]`)).toBe(DecodeError.TOO_DEEP);
    // Keys are strings too.
    expect(decoded(`2["x",{"${brackets}":1}]`)?.type).toBe(2);
  });

  test("maxDepth is configurable", () => {
    const decoder = new SioDecoder({ maxDepth: 2 });
    expect(decoder.add('2["x",{"a":1}]').ok).toBe(true);
    expect(decoder.add('2["x",[{"a":1}]]')).toEqual({ ok: false, error: DecodeError.TOO_DEEP });
    expect(decoder.add('2["x","[[[[[[[[[["]').ok).toBe(true);
  });

  test("long flat payloads still decode (the depth scan is linear)", () => {
    const text = "lorem ipsum \\\" [ { ".repeat(50_000);
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i, s: "[]{}" }));
    expect(decoded(`2["msg",${JSON.stringify(text)},${JSON.stringify(items)}]`)?.type).toBe(2);
  });
});
