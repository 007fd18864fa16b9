// Types for notepack.io, at two versions: 2.2 (what socket.io-msgpack-parser uses: the msgpack
// Socket.IO parser) ships none, and 3.x (what socket.io's Redis adapter and emitter use: the Redis
// bus) says `any`. These say what the functions take and give.
declare module "notepack.io" {
  /**
   * MessagePack bytes of a value. Buffers as bin, other binary as ext 0, Dates as fixext 8 type 0,
   * undefined as fixext 1 type 0; toJSON honoured. Throws on what it cannot encode (BigInt).
   */
  export function encode(value: unknown): Buffer;
  /** The value in a buffer holding exactly one MessagePack value. Throws on malformed input. */
  export function decode(buffer: Uint8Array): unknown;
}

declare module "notepack.io-3" {
  /** MessagePack bytes of a value, as notepack.io 3 writes them (Dates as timestamp ext -1). */
  export function encode(value: unknown): Buffer;
  /** Binary values decode to Buffers. Throws on malformed input: callers catch. */
  export function decode(buffer: Uint8Array): unknown;
}
