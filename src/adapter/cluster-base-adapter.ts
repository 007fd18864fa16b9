// What both cluster adapters (Redis, Postgres) add to the local adapter: broadcasts with acks (the
// sender's callbacks by request id until the timeout), and connection state recovery across nodes:
// the session searches this node runs, the numbering of the broadcasts it originates (carried beside
// the packet on the bus), and the snapshots of its sessions in the shared store, from which another
// node takes a session over once this one is known dead.
import { AckRequests } from "./ack-requests.ts";
import { LocalAdapter, type AdapterDeps } from "./local-adapter.ts";
import { parseOriginOffset, type Origin } from "./origin-offsets.ts";
import { SessionSearches } from "./session-handoff.ts";
import { SessionSnapshots, snapshotOf, type SnapshotStore } from "./session-snapshots.ts";
import type { AdapterHost, AdapterSocket, BroadcastOptions, BroadcastPacket, PersistedSession, RestoredSession, SocketId } from "./types.ts";

export abstract class ClusterBaseAdapter extends LocalAdapter {
  protected readonly sessionSearches: SessionSearches;
  /** This node's broadcasts with acks, awaiting the other nodes' counts and acks. */
  protected readonly ackRequests = new AckRequests();
  /** This node's id on the bus (its messages carry it). */
  abstract readonly uid: string;
  /** True while a broadcast from another node is handed to the local adapter (to tell it from our own). */
  private receiving = false;
  /** The number of the last broadcast this node originated and logged. */
  private sequence = -1;
  private snapshots: SessionSnapshots | undefined;

  constructor(
    host: AdapterHost,
    deps: AdapterDeps,
    private readonly requestsTimeout: number,
  ) {
    super(host, deps);
    this.sessionSearches = new SessionSearches(requestsTimeout, deps.recoveryWindow ?? requestsTimeout);
  }

  /** Called by a driver once its uid is set: offsets name this node, and its sessions go to `store` (when recovery is on). */
  protected startRecovery(store: (window: number) => SnapshotStore, onError: (error: unknown, context: string) => void): void {
    const window = this.deps.recoveryWindow;
    if (window === undefined) return;
    this.identifyAs(this.uid);
    this.snapshots = new SessionSnapshots(this.host, (sid) => this.socketRooms(sid), store(window), window, onError);
  }

  /** The number for a broadcast this node sends, when it is kept for recovery (then it goes on the bus beside the packet). */
  protected originOf(packet: BroadcastPacket, options: BroadcastOptions): Origin | undefined {
    return this.recordable(packet, options) ? { uid: this.uid, seq: ++this.sequence } : undefined;
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

  protected override recorded(tagged: unknown[], options: BroadcastOptions, origin: Origin | undefined): unknown[] {
    this.sessionSearches.recorded(tagged, options, this.receiving, origin);
    return tagged;
  }

  override attach(socket: AdapterSocket): void {
    super.attach(socket);
    this.sessionSearches.attached(socket.id);
    this.snapshots?.attached(socket);
  }

  override detach(socket: AdapterSocket): void {
    super.detach(socket);
    this.snapshots?.detached(socket.id);
  }

  protected override roomsChanged(id: SocketId): void {
    this.snapshots?.roomsChanged(id);
  }

  override persistSession(session: PersistedSession): void {
    super.persistSession(session);
    this.snapshots?.persisted(session);
  }

  protected override sessionDropped(pid: string): void {
    this.snapshots?.dropped(pid);
  }

  /**
   * Takes over a session from the snapshot of a node known dead: its rooms and data, and the packets
   * it missed from this node's own log (read by origin numbers). `claim` removes the snapshot from the
   * store and tells whether this node was the one to do so (two nodes may try: one wins).
   */
  protected async takeOver(pid: string, offset: string, json: unknown, claim: () => Promise<boolean>): Promise<RestoredSession | undefined> {
    const snapshot = snapshotOf(json);
    if (!snapshot || this.host.sockets.has(snapshot.sid)) return undefined;
    const missedPackets = this.missedSince(offset, new Set(snapshot.rooms));
    const position = parseOriginOffset(offset);
    if (!missedPackets || !position) return undefined;
    const session: RestoredSession = { ...snapshot, pid, missedPackets };
    // From now on, what this node logs for the session is added until its socket is attached (but
    // not a packet the client had: one that reached the dead node long before it reaches this one).
    const release = this.sessionSearches.hold(session, position.seen);
    if (await claim()) return session;
    release();
    return undefined;
  }

  /** Hands a broadcast from another node to the local adapter (delivered, or only logged when none of its rooms is here). */
  protected receive(data: unknown[], options: BroadcastOptions, deliver: boolean, origin?: Origin): void {
    this.receiving = true;
    try {
      if (deliver) this.deliverBroadcast({ data }, options, origin);
      else if (!options.flags?.volatile) this.recordUndelivered(data, options, origin);
    } finally {
      this.receiving = false;
    }
  }

  override close(): void {
    this.ackRequests.clear();
    this.sessionSearches.close();
    this.snapshots?.close();
    super.close();
  }
}
