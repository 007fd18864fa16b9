// Public entry of the Engine.IO v4 layer: the server, its Bun binding, and the session types.
export { EngineServer } from "./server.ts";
export type { HttpPort, WsData } from "./server.ts";
export { bunEngineHandler } from "./bun-binding.ts";
export type { BunEngineHandler, FallbackFetch } from "./bun-binding.ts";
export * from "./types.ts";
export { decodePacket, decodePayload, encodeFrame, encodePayload } from "./parser.ts";
export type { EnginePacket } from "./parser.ts";
export { REFUSAL_REASONS } from "./stats.ts";
export type { EngineStats, RefusalReason } from "./stats.ts";
