// Broadcasts with acks across a cluster: the sender's callbacks by request id, and the receivers'
// ack callbacks, both dropped at the sender's timeout (no node can tell when the last remote ack came).
import type { AdapterHost } from "./types.ts";

export type AckRequest = { sent: (clientCount: number) => void; ack: (...args: unknown[]) => void };

export class AckRequests {
  private readonly requests = new Map<string, AckRequest>();

  /** This node's broadcast `requestId` awaits counts and acks from the others until `timeoutMs`. */
  add(requestId: string, request: AckRequest, timeoutMs: number): void {
    this.requests.set(requestId, request);
    setTimeout(() => this.requests.delete(requestId), timeoutMs).unref();
  }

  has(requestId: unknown): boolean {
    return this.get(requestId) !== undefined;
  }

  get(requestId: unknown): AckRequest | undefined {
    return typeof requestId === "string" ? this.requests.get(requestId) : undefined;
  }

  clear(): void {
    this.requests.clear();
  }
}

/** Another node's broadcast with acks, numbered `id` here: receivers that never answer must not keep their callbacks. */
export function forgetAcksAfter(host: AdapterHost, id: number, timeoutMs: number): void {
  setTimeout(() => {
    for (const socket of host.sockets.values()) socket.forgetAck(id);
  }, timeoutMs).unref();
}
