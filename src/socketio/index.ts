// Public entry of the Socket.IO v5 server library: socket.io's server API on Bun.
export { Server } from "./server.ts";
export type { ServerOptions, ConnectionStateRecoveryOptions } from "./server.ts";
export type { ParserOption } from "./parser/index.ts";
export { Namespace } from "./namespace.ts";
export type { ExtendedError, NamespaceMiddleware } from "./namespace.ts";
export { ParentNamespace } from "./parent-namespace.ts";
export { Socket } from "./socket.ts";
export type { Handshake } from "./socket.ts";
export type { DisconnectReason } from "./disconnect-reason.ts";
export { BroadcastOperator } from "./broadcast-operator.ts";
export { RemoteSocket } from "./remote-socket.ts";
export type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";
export { LocalAdapter, localAdapter } from "../adapter/local-adapter.ts";
export type { Adapter, AdapterFactory } from "../adapter/index.ts";
export { CONNECT_REFUSAL_REASONS } from "./observer.ts";
export type { ConnectRefusalReason, NamespaceStats, ServerObserver, ServerStats } from "./observer.ts";
export { createRedisAdapter, RedisAdapter } from "../adapter/index.ts";
export type { RedisAdapterOptions, RedisPublisher, RedisSubscriber } from "../adapter/index.ts";
