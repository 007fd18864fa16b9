// Types for notepack.io (the MessagePack codec socket.io-msgpack-parser uses): 2.2 ships none (3.x's
// say `any`); these say what the functions take and give.
declare module "notepack.io" {
  /**
   * MessagePack bytes of a value. Buffers as bin, other binary as ext 0, Dates as fixext 8 type 0,
   * undefined as fixext 1 type 0; toJSON honoured. Throws on what it cannot encode (BigInt).
   */
  export function encode(value: unknown): Buffer;
  /** The value in a buffer holding exactly one MessagePack value. Throws on malformed input. */
  export function decode(buffer: Buffer): unknown;
}
