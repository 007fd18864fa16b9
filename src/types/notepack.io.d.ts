// Types for notepack.io (the MessagePack codec socket.io-msgpack-parser uses): its bundled
// declaration says `any`; these say what the functions take and give.
declare module "notepack.io" {
  /** MessagePack bytes of a value (Buffers as bin; Dates as timestamps; toJSON honoured). Throws on what it cannot encode. */
  export function encode(value: unknown): Buffer;
  /** The value in a buffer holding exactly one MessagePack value. Throws on malformed input. */
  export function decode(buffer: Buffer): unknown;
}
