// Public entry of the adapter seam: the contract and the single-node implementation.
export type * from "./types.ts";
export { LocalAdapter, localAdapter } from "./local-adapter.ts";
export { namespaceTopic, roomTopic } from "./topics.ts";
