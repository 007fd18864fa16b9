// Types for notepack.io (MessagePack as socket.io's Redis adapter writes it): the package's own
// declarations use `any`; these say what we rely on. Binary values decode to Buffers.
declare module "notepack.io" {
  export function encode(value: unknown): Buffer;
  /** Throws on malformed input: callers catch. */
  export function decode(buffer: Uint8Array): unknown;
}
