// What both cluster adapters (Redis, Postgres) add to the local adapter: broadcasts with acks (the
// sender's callbacks by request id until the timeout), and for connection state recovery across
// nodes the session searches this node runs, telling a broadcast another node sent from one of its
// own while the local adapter records it for recovery.
import { AckRequests } from "./ack-requests.ts";
import { LocalAdapter, type AdapterDeps } from "./local-adapter.ts";
import { SessionSearches } from "./session-handoff.ts";
import type { AdapterHost, AdapterSocket, BroadcastOptions, BroadcastPacket } from "./types.ts";

export abstract class ClusterBaseAdapter extends LocalAdapter {
  protected readonly sessionSearches: SessionSearches;
  /** This node's broadcasts with acks, awaiting the other nodes' counts and acks. */
  protected readonly ackRequests = new AckRequests();
  /** True while a broadcast from another node is handed to the local adapter (to tell it from our own). */
  private receiving = false;

  constructor(
    host: AdapterHost,
    deps: AdapterDeps,
    private readonly requestsTimeout: number,
  ) {
    super(host, deps);
    this.sessionSearches = new SessionSearches(requestsTimeout, deps.recoveryWindow ?? requestsTimeout);
  }

  /** A new id for a broadcast with acks, in the form the driver's protocol uses. */
  protected abstract ackRequestId(): string;

  /** Sends the broadcast with acks `requestId` to the other nodes, without our ack id (each node numbers its own sockets' acks). */
  protected abstract publishWithAck(requestId: string, packet: BroadcastPacket, options: BroadcastOptions): void;

  override broadcastWithAck(
    packet: BroadcastPacket,
    options: BroadcastOptions,
    sent: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (!options.flags?.local) {
      const requestId = this.ackRequestId();
      this.ackRequests.add(requestId, { sent, ack }, options.flags?.timeout ?? this.requestsTimeout);
      this.publishWithAck(requestId, packet, options);
    }
    super.broadcastWithAck(packet, options, sent, ack);
  }

  /** Another node's broadcast with acks, to this node's sockets only (never published again). */
  protected deliverWithAck(packet: BroadcastPacket, options: BroadcastOptions, sent: (clientCount: number) => void, ack: (...args: unknown[]) => void): void {
    super.broadcastWithAck(packet, options, sent, ack);
  }

  protected override recorded(tagged: unknown[], options: BroadcastOptions): unknown[] {
    this.sessionSearches.recorded(tagged, options, this.receiving);
    return tagged;
  }

  override attach(socket: AdapterSocket): void {
    super.attach(socket);
    this.sessionSearches.attached(socket.id);
  }

  /** Hands a broadcast from another node to the local adapter (delivered, or only logged when none of its rooms is here). */
  protected receive(data: unknown[], options: BroadcastOptions, deliver: boolean): void {
    this.receiving = true;
    try {
      if (deliver) super.broadcast({ data }, options);
      else if (!options.flags?.volatile) this.recordUndelivered(data, options);
    } finally {
      this.receiving = false;
    }
  }

  override close(): void {
    this.ackRequests.clear();
    this.sessionSearches.close();
    super.close();
  }
}
