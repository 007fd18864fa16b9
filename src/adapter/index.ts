// Public entry of the adapter seam: the contract and the single-node implementation.
export type * from "./types.ts";
export { LocalAdapter, localAdapter, namespaceTopic, roomTopic } from "./local-adapter.ts";
export type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
