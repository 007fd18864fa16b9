// The msgpack wire format against socket.io-msgpack-parser itself: our encoder writes the bytes its
// Encoder writes and its Decoder accepts them; our decoder takes what its Encoder writes and refuses,
// with a result and never a throw, everything the default parser would refuse (and malformed bytes).
import { describe, expect, test } from "bun:test";
import { encode } from "notepack.io";
import * as reference from "socket.io-msgpack-parser";
import {
  DecodeError,
  encodeMsgpackPacket,
  MsgpackDecodeError,
  MsgpackDecoder,
  type SioPacket,
} from "../../src/socketio/parser/index.ts";
import { seededRandom } from "../support/engine-server.ts";

/** socket.io-msgpack-parser's Encoder output as bytes (its typings say ArrayBuffer; under Node it is a Buffer). */
function referenceEncode(packet: Record<string, unknown>): Uint8Array {
  const [frame] = new reference.Encoder().encode(packet) as unknown as unknown[];
  if (!(frame instanceof Uint8Array)) throw new Error("the reference encoder gave no bytes");
  return frame;
}

/** What socket.io-msgpack-parser's Decoder makes of a frame (it throws on what it refuses). */
function referenceDecode(frame: Uint8Array): Record<string, unknown> {
  const decoder = new reference.Decoder();
  let out: Record<string, unknown> | undefined;
  decoder.on("decoded", (packet: Record<string, unknown>) => {
    out = packet;
  });
  decoder.add(Buffer.from(frame));
  if (!out) throw new Error("the reference decoder emitted nothing");
  return out;
}

function decodeOne(frame: Uint8Array | string, options = {}) {
  return new MsgpackDecoder(options).add(frame);
}

function frameOf(value: unknown): Uint8Array {
  return encode(value);
}

describe("encoding: the bytes socket.io with socket.io-msgpack-parser writes", () => {
  // Each pair: our packet, and the object socket.io hands its encoder (socket.io's key order).
  const cases: { label: string; ours: SioPacket; theirs: Record<string, unknown> }[] = [
    { label: "CONNECT reply", ours: { type: 0, nsp: "/", data: { sid: "abc" } }, theirs: { type: 0, data: { sid: "abc" }, nsp: "/" } },
    {
      label: "CONNECT reply with pid on /custom",
      ours: { type: 0, nsp: "/custom", data: { sid: "abc", pid: "p" } },
      theirs: { type: 0, data: { sid: "abc", pid: "p" }, nsp: "/custom" },
    },
    { label: "EVENT", ours: { type: 2, nsp: "/", data: ["hello", { a: [1, null, true] }, 3.5] }, theirs: { type: 2, data: ["hello", { a: [1, null, true] }, 3.5], nsp: "/" } },
    { label: "EVENT with ack id", ours: { type: 2, nsp: "/", data: ["ask"], id: 7 }, theirs: { type: 2, data: ["ask"], id: 7, nsp: "/" } },
    { label: "ACK", ours: { type: 3, nsp: "/x", data: [1, "two"], id: 300 }, theirs: { type: 3, data: [1, "two"], id: 300, nsp: "/x" } },
    { label: "DISCONNECT", ours: { type: 1, nsp: "/x" }, theirs: { type: 1, nsp: "/x" } },
    {
      label: "CONNECT_ERROR",
      ours: { type: 4, nsp: "/", data: { message: "Invalid namespace" } },
      theirs: { type: 4, data: { message: "Invalid namespace" }, nsp: "/" },
    },
    {
      label: "EVENT with a Buffer",
      ours: { type: 2, nsp: "/", data: ["bin", Buffer.from([1, 2, 3])] },
      theirs: { type: 2, data: ["bin", Buffer.from([1, 2, 3])], nsp: "/" },
    },
  ];
  for (const { label, ours, theirs } of cases) {
    test(label, () => {
      const [frame] = encodeMsgpackPacket(ours);
      if (!frame) throw new Error("no frame");
      expect([...frame]).toEqual([...referenceEncode(theirs)]);
      // And socket.io-msgpack-parser's Decoder (the client's) accepts it.
      const decoded = referenceDecode(frame);
      expect(decoded["type"]).toBe(ours.type);
      expect(decoded["nsp"]).toBe(ours.nsp);
    });
  }

  test("a Date goes out as socket.io-msgpack-parser's clients read it (fixext 8, type 0): a Date again", () => {
    const when = new Date(1_700_000_000_123);
    const [frame] = encodeMsgpackPacket({ type: 2, nsp: "/", data: ["at", when] });
    if (!frame) throw new Error("no frame");
    expect([...frame]).toEqual([...referenceEncode({ type: 2, data: ["at", when], nsp: "/" })]);
    const data = referenceDecode(frame)["data"] as unknown[];
    expect(data[1]).toBeInstanceOf(Date);
    expect((data[1] as Date).getTime()).toBe(when.getTime());
  });

  test("binary of every kind goes out as its own bytes (a Float32Array too, not its values)", () => {
    const floats = new Float32Array([1.5]);
    const view = new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2);
    const [frame] = encodeMsgpackPacket({ type: 2, nsp: "/", data: ["b", floats, view, new Uint8Array([5]).buffer] });
    if (!frame) throw new Error("no frame");
    const data = referenceDecode(frame)["data"] as unknown[];
    expect([...(data[1] as Buffer)]).toEqual([...new Uint8Array(floats.buffer)]);
    expect([...(data[2] as Buffer)]).toEqual([8, 7]);
    expect([...(data[3] as Buffer)]).toEqual([5]);
  });

  test("the caller's data is not changed, cyclic data and BigInt throw (the socket layer catches them)", () => {
    const inner = new Uint16Array([1]);
    const data: unknown[] = ["e", { inner }];
    encodeMsgpackPacket({ type: 2, nsp: "/", data });
    expect((data[1] as { inner: unknown }).inner).toBe(inner);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => encodeMsgpackPacket({ type: 2, nsp: "/", data: ["e", cyclic] })).toThrow("data too deeply nested");
    expect(() => encodeMsgpackPacket({ type: 2, nsp: "/", data: ["e", 1n] })).toThrow();
  });
});

describe("decoding what socket.io-client with socket.io-msgpack-parser sends", () => {
  test("CONNECT with auth, and without", () => {
    expect(decodeOne(referenceEncode({ type: 0, data: { token: "t" }, nsp: "/" }))).toEqual({
      ok: true,
      value: { type: 0, nsp: "/", data: { token: "t" } },
    });
    expect(decodeOne(referenceEncode({ type: 0, nsp: "/admin" }))).toEqual({ ok: true, value: { type: 0, nsp: "/admin" } });
  });

  test("EVENT with an ack id and the client's extra `options` key; binary as Buffers (Uint8Array too)", () => {
    const frame = referenceEncode({
      type: 2,
      data: ["up", { buf: Buffer.from([1, 2]), arr: [new Uint8Array([3, 4])] }, undefined],
      options: { compress: true },
      id: 12,
      nsp: "/",
    });
    const result = decodeOne(frame);
    if (!result.ok || result.value?.type !== 2) throw new Error(`not decoded: ${JSON.stringify(result)}`);
    expect(result.value.id).toBe(12);
    const [name, payload, last] = result.value.data as [string, { buf: unknown; arr: unknown[] }, unknown];
    expect(name).toBe("up");
    expect(Buffer.isBuffer(payload.buf)).toBe(true);
    expect([...(payload.buf as Buffer)]).toEqual([1, 2]);
    expect(Buffer.isBuffer(payload.arr[0])).toBe(true);
    expect([...(payload.arr[0] as Buffer)]).toEqual([3, 4]);
    expect(last).toBeUndefined();
  });

  test("ACK, DISCONNECT, and a Date argument", () => {
    expect(decodeOne(referenceEncode({ type: 3, data: ["ok"], id: 0, nsp: "/" }))).toEqual({
      ok: true,
      value: { type: 3, nsp: "/", data: ["ok"], id: 0 },
    });
    expect(decodeOne(referenceEncode({ type: 1, nsp: "/x" }))).toEqual({ ok: true, value: { type: 1, nsp: "/x" } });
    const when = new Date(1_700_000_000_000);
    const result = decodeOne(referenceEncode({ type: 2, data: ["at", when], nsp: "/" }));
    if (!result.ok || result.value?.type !== 2) throw new Error("not decoded");
    expect((result.value.data[1] as Date).getTime()).toBe(when.getTime());
  });
});

describe("refused: a result, never a throw", () => {
  const deep = (levels: number): Uint8Array => {
    // {type:2, nsp:"/", data:["e", [[[…]]]]} with `levels` nested one-element arrays.
    const head = frameOf({ type: 2, nsp: "/" });
    const out = [0x83, ...head.subarray(1), 0xa4, ...Buffer.from("data"), 0x92, 0xa1, 0x65];
    for (let i = 0; i < levels; i++) out.push(0x91);
    out.push(0x01);
    return new Uint8Array(out);
  };
  const cases: { label: string; frame: Uint8Array | string; error: string }[] = [
    { label: "a text message", frame: "2[\"x\"]", error: MsgpackDecodeError.TEXT_MESSAGE },
    { label: "empty bytes", frame: new Uint8Array(0), error: MsgpackDecodeError.MALFORMED },
    { label: "garbage", frame: new Uint8Array([0xc1, 0xff, 0x00]), error: MsgpackDecodeError.MALFORMED },
    { label: "trailing bytes", frame: new Uint8Array([...frameOf({ type: 1, nsp: "/" }), 0x00]), error: MsgpackDecodeError.MALFORMED },
    { label: "a truncated map", frame: frameOf({ type: 2, nsp: "/", data: ["e"] }).subarray(0, 8), error: MsgpackDecodeError.MALFORMED },
    { label: "an array claiming 2^32-1 items", frame: new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]), error: MsgpackDecodeError.MALFORMED },
    { label: "a str claiming 4 GB", frame: new Uint8Array([0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]), error: MsgpackDecodeError.MALFORMED },
    { label: "a number as map key", frame: new Uint8Array([0x81, 0x01, 0x02]), error: MsgpackDecodeError.MALFORMED },
    { label: "a __proto__ key", frame: new Uint8Array([0x81, 0xa9, ...Buffer.from("__proto__"), 0x80]), error: MsgpackDecodeError.MALFORMED },
    { label: "an unknown ext type", frame: new Uint8Array([0x81, 0xa1, 0x61, 0xd4, 0x05, 0x00]), error: MsgpackDecodeError.MALFORMED },
    { label: "a timestamp ext (type -1)", frame: new Uint8Array([0x81, 0xa1, 0x61, 0xd6, 0xff, 0, 0, 0, 1]), error: MsgpackDecodeError.MALFORMED },
    { label: "not a map", frame: frameOf([2, "/", ["e"]]), error: MsgpackDecodeError.NOT_A_PACKET },
    { label: "type missing", frame: frameOf({ nsp: "/", data: ["e"] }), error: DecodeError.UNKNOWN_TYPE },
    { label: "type 5", frame: frameOf({ type: 5, nsp: "/", data: ["e"] }), error: DecodeError.UNKNOWN_TYPE },
    { label: "type 1.5", frame: frameOf({ type: 1.5, nsp: "/" }), error: DecodeError.UNKNOWN_TYPE },
    { label: "type as string", frame: frameOf({ type: "2", nsp: "/", data: ["e"] }), error: DecodeError.UNKNOWN_TYPE },
    { label: "nsp missing", frame: frameOf({ type: 2, data: ["e"] }), error: MsgpackDecodeError.INVALID_NAMESPACE },
    { label: "nsp a number", frame: frameOf({ type: 2, nsp: 1, data: ["e"] }), error: MsgpackDecodeError.INVALID_NAMESPACE },
    { label: "nsp without /", frame: frameOf({ type: 2, nsp: "admin", data: ["e"] }), error: MsgpackDecodeError.INVALID_NAMESPACE },
    { label: "negative id", frame: frameOf({ type: 2, nsp: "/", data: ["e"], id: -1 }), error: DecodeError.INVALID_ACK_ID },
    { label: "id 2^31", frame: frameOf({ type: 2, nsp: "/", data: ["e"], id: 2 ** 31 }), error: DecodeError.INVALID_ACK_ID },
    { label: "id 1.5", frame: frameOf({ type: 3, nsp: "/", data: [], id: 1.5 }), error: DecodeError.INVALID_ACK_ID },
    { label: "id on CONNECT", frame: frameOf({ type: 0, nsp: "/", id: 1 }), error: DecodeError.UNEXPECTED_ACK_ID },
    { label: "CONNECT data an array", frame: frameOf({ type: 0, nsp: "/", data: [1] }), error: DecodeError.INVALID_PAYLOAD },
    { label: "CONNECT data a string", frame: frameOf({ type: 0, nsp: "/", data: "x" }), error: DecodeError.INVALID_PAYLOAD },
    { label: "CONNECT data null", frame: frameOf({ type: 0, nsp: "/", data: null }), error: DecodeError.INVALID_PAYLOAD },
    { label: "DISCONNECT with data", frame: frameOf({ type: 1, nsp: "/", data: [] }), error: DecodeError.UNEXPECTED_PAYLOAD },
    { label: "EVENT without data", frame: frameOf({ type: 2, nsp: "/" }), error: DecodeError.MISSING_PAYLOAD },
    { label: "EVENT data an object", frame: frameOf({ type: 2, nsp: "/", data: { 0: "e" } }), error: DecodeError.INVALID_PAYLOAD },
    { label: "EVENT with no name", frame: frameOf({ type: 2, nsp: "/", data: [] }), error: DecodeError.INVALID_PAYLOAD },
    { label: "EVENT named by an object", frame: frameOf({ type: 2, nsp: "/", data: [{ toString: "x" }] }), error: DecodeError.INVALID_PAYLOAD },
    { label: "EVENT named disconnect", frame: frameOf({ type: 2, nsp: "/", data: ["disconnect"] }), error: DecodeError.RESERVED_EVENT },
    { label: "ACK without id", frame: frameOf({ type: 3, nsp: "/", data: [] }), error: DecodeError.MISSING_ACK_ID },
    { label: "CONNECT_ERROR with a number", frame: frameOf({ type: 4, nsp: "/", data: 1 }), error: DecodeError.INVALID_PAYLOAD },
    { label: "an array 100 000 deep", frame: deep(100_000), error: DecodeError.TOO_DEEP },
    { label: "an array 64 deep inside the payload (65 with data)", frame: deep(64), error: DecodeError.TOO_DEEP },
  ];
  for (const { label, frame, error } of cases) {
    test(label, () => {
      const result = decodeOne(frame);
      expect(result).toEqual({ ok: false, error });
    });
  }

  test("63 levels inside the payload (64 with data, the default parser's limit) pass", () => {
    const levels = 63;
    const bytes = [0x83, ...frameOf({ type: 2, nsp: "/" }).subarray(1), 0xa4, ...Buffer.from("data"), 0x92, 0xa1, 0x65];
    for (let i = 0; i < levels; i++) bytes.push(0x91);
    bytes.push(0x01);
    expect(decodeOne(new Uint8Array(bytes)).ok).toBe(true);
  });

  test("a CONNECT over the auth limit or too deep is refused with its namespace (answered, not closed)", () => {
    const big = referenceEncode({ type: 0, data: { token: "x".repeat(2000) }, nsp: "/admin" });
    expect(decodeOne(big, { maxConnectPayload: 1000 })).toEqual({
      ok: false,
      error: DecodeError.CONNECT_PAYLOAD_TOO_LARGE,
      refusedConnect: "/admin",
    });
    let auth: unknown = 1;
    for (let i = 0; i < 200; i++) auth = { a: auth };
    expect(decodeOne(referenceEncode({ type: 0, data: auth, nsp: "/" }))).toEqual({
      ok: false,
      error: DecodeError.TOO_DEEP,
      refusedConnect: "/",
    });
  });

  test("a __proto__ key never reaches an object's prototype", () => {
    const frame = new Uint8Array([0x82, 0xa4, ...Buffer.from("type"), 0x00, 0xa9, ...Buffer.from("__proto__"), 0x81, 0xa3, ...Buffer.from("nsp"), 0xa1, 0x2f]);
    expect(decodeOne(frame)).toEqual({ ok: false, error: MsgpackDecodeError.MALFORMED });
    expect(({} as Record<string, unknown>)["nsp"]).toBeUndefined();
  });

  test("random bytes and mutated packets never throw, and the decoder stays usable", () => {
    const random = seededRandom(12);
    const decoder = new MsgpackDecoder();
    const valid = referenceEncode({ type: 2, data: ["e", { a: [1, "x", Buffer.from([1])], d: new Date(0) }], id: 3, nsp: "/" });
    for (let i = 0; i < 5000; i++) {
      const bytes =
        i % 2 === 0
          ? Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256))
          : valid.map((byte) => (random() < 0.1 ? Math.floor(random() * 256) : byte));
      const result = decoder.add(bytes);
      expect(typeof result.ok).toBe("boolean");
    }
    expect(decoder.add(valid).ok).toBe(true);
  });
});
