// The seam between a session and its transports: what every transport offers the session (writes,
// topics, writability, release) and the WebSocket shape the engine needs of Bun's ServerWebSocket.
import type { EnginePacket } from "./parser.ts";
import type { HttpPort } from "./server.ts";
import type { CloseReason, MessageData, TransportName } from "./types.ts";

/** What the engine needs of a WebSocket: Bun's ServerWebSocket fits it as is. */
export interface WsConnection {
  /** Bun semantics: bytes written (> 0), -1 queued under backpressure, 0 dropped. */
  send(frame: string | Uint8Array): number;
  cork(callback: () => void): unknown;
  close(code?: number, reason?: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, frame: string | Uint8Array): number;
}

/** One way of carrying a session's packets. The session holds exactly one at a time. */
export interface Transport {
  readonly name: TransportName;
  /** False while it cannot take more without queueing (volatile packets are dropped then). */
  readonly writable: boolean;
  /** The WebSocket to publish through, when this transport is one. */
  readonly websocket: WsConnection | undefined;
  /** The HTTP server that WebSocket belongs to (Bun topics are per server). */
  readonly port: HttpPort | undefined;
  /** Message packets, written back to back (a binary packet's frames stay adjacent). */
  write(messages: readonly MessageData[]): void;
  /** A control packet (ping). */
  sendPacket(packet: EnginePacket): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Bun's drain: the WebSocket's send buffer emptied below the limit again. */
  drained(): void;
  /** A WebSocket closed under the engine: true when it was this transport's own (it is gone now). */
  peerClosed(ws: WsConnection): boolean;
  /**
   * The session is closing with `reason`: release everything. True when the transport still owes
   * its client packets and a close packet on one more request (the session lingers until then).
   */
  close(reason: CloseReason): boolean;
}
