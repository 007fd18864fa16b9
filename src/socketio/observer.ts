// What the Socket.IO server tells an observer (an app's metrics) as it works, and what it counts
// itself. Hooks get plain values, never a new object, so an observer can count without allocating.
import type { EngineStats } from "../engine/stats.ts";
import type { TransportName } from "../engine/types.ts";

/** Hooks on the hot path; each is optional and called synchronously, so keep them to an increment. */
export interface ServerObserver {
  /** An EVENT packet from a client; `event` is its first argument as sent (untrusted: any value). */
  eventReceived?(event: unknown): void;
  /** An event emitted by the server: once per `socket.emit` or broadcast, whatever the receivers. */
  eventSent?(event: string): void;
  /** A broadcast went out to this many sockets of this node. */
  broadcast?(recipients: number): void;
}

/** Why a Socket.IO CONNECT was answered with CONNECT_ERROR. */
export const CONNECT_REFUSAL_REASONS = ["middleware", "invalid_namespace", "invalid_auth"] as const;
export type ConnectRefusalReason = (typeof CONNECT_REFUSAL_REASONS)[number];

export function createConnectRefusals(): Record<ConnectRefusalReason, number> {
  return { middleware: 0, invalid_namespace: 0, invalid_auth: 0 };
}

/** One namespace's figures at the time of reading. */
export type NamespaceStats = {
  name: string;
  /** Connected sockets by their current transport. */
  sockets: Record<TransportName, number>;
  /** Rooms sockets joined (a socket's own room is not counted). */
  rooms: number;
  /** Server-to-client emits waiting for the client's ack. */
  pendingAcks: number;
};

export type ServerStats = {
  namespaces: NamespaceStats[];
  engine: EngineStats & { sessions: number };
  connectRefusals: Readonly<Record<ConnectRefusalReason, number>>;
};
