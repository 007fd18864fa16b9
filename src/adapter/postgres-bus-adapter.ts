// The Postgres side of the Postgres cluster adapter: this node's LISTEN on its namespace channel, its
// heartbeats and the count of the other nodes, publishing, broadcasts sent and received (with or without
// acks), and handing the requests and responses of other nodes on to PostgresAdapter, which answers and collects them.
import { eventPacketOf, EVENT, optionsOf, sequenceOf, shortId, wireOptions, type BusRecord } from "./cluster-protocol.ts";
import { forgetAcksAfter } from "./ack-requests.ts";
import { ClusterBaseAdapter } from "./cluster-base-adapter.ts";
import type { AdapterDeps } from "./local-adapter.ts";
import { NodeLiveness } from "./node-liveness.ts";
import type { PostgresBus, PostgresBusOptions } from "./postgres-bus.ts";
import { EMITTER_UID, isRecord, MAX_CHANNEL_BYTES, MessageType } from "./postgres-protocol.ts";
import type { SnapshotStore } from "./session-snapshots.ts";
import type { AdapterHost, BroadcastOptions, BroadcastPacket } from "./types.ts";

export type PostgresAdapterOptions = PostgresBusOptions & {
  /** Milliseconds between heartbeats while this node sends nothing else (socket.io: 5000). */
  heartbeatInterval: number;
  /** A node not heard from for this long is dropped from the cluster (socket.io: 10000). */
  heartbeatTimeout: number;
  /** Milliseconds to wait for the other nodes' answers (fetchSockets, serverSideEmitWithAck…). */
  requestsTimeout: number;
  /** Table of the session snapshots (connection state recovery after a node's crash; `<name>_leases` beside it). */
  sessionTableName: string;
  /**
   * Called each time LISTEN is established again after the listening connection dropped, before
   * anything that came on the new connection is handed on: documents NOTIFYed meanwhile never
   * reached this node (NOTIFY is not stored), the application reads back what it needs.
   */
  onRelisten: () => void;
};

export abstract class PostgresBusAdapter extends ClusterBaseAdapter {
  /** This node's id in this namespace: documents carrying it are our own, back from Postgres. */
  readonly uid = shortId() + shortId();
  /** Resolves once this node listens to the cluster and has announced itself. */
  readonly ready: Promise<void>;
  protected readonly liveness: NodeLiveness;
  private readonly heartbeat: Timer;
  private unlisten: (() => void) | undefined;
  private closed = false;
  private publishFailing = false;

  /**
   * `openStore` makes the session store when recovery is on, before this node listens or sends
   * anything (a store that cannot be made throws before this node joins the cluster).
   */
  constructor(
    host: AdapterHost,
    deps: AdapterDeps,
    private readonly bus: PostgresBus,
    protected readonly options: PostgresAdapterOptions,
    openStore: (window: number, uid: string) => SnapshotStore,
  ) {
    super(host, deps, options.requestsTimeout);
    this.liveness = new NodeLiveness(options.heartbeatTimeout, (uid) => this.nodeGone(uid));
    this.startRecovery((window) => openStore(window, this.uid), options.onError);
    // Re-armed by every document this node sends: a heartbeat goes out only after a quiet interval.
    this.heartbeat = setTimeout(() => this.publish({ type: MessageType.HEARTBEAT }), options.heartbeatInterval);
    this.heartbeat.unref();
    this.ready = this.connect();
    this.ready.catch((error: unknown) => options.onError(error, "listen"));
  }

  /** A node left the cluster (heartbeat timeout, goodbye): nothing may wait for its answers any more. */
  protected abstract nodeGone(uid: string): void;

  /** A request or a response from another node (not a heartbeat, goodbye or broadcast); exceptions it throws are logged. */
  protected abstract onRequestOrResponse(type: unknown, uid: unknown, data: BusRecord): void;

  /** One of this node's own documents, back from Postgres (all others are dropped before decoding). */
  protected abstract onOwnDocument(own: BusRecord): void;

  private async connect(): Promise<void> {
    const channel = this.bus.channel(this.host.name);
    // A longer name would be cut by LISTEN and refused by NOTIFY: this namespace then stays on this node.
    if (Buffer.byteLength(channel) > MAX_CHANNEL_BYTES) throw new Error(`channel name longer than ${MAX_CHANNEL_BYTES} bytes: ${channel}`);
    // After every LISTEN (the first, and again after the connection dropped) the other nodes are asked to answer.
    let listenedBefore = false;
    const unlisten = await this.bus.listen(this.host.name, this.uid, (document) => this.onDocument(document), () => {
      if (listenedBefore) this.options.onRelisten();
      listenedBefore = true;
      this.publish({ type: MessageType.INITIAL_HEARTBEAT });
    }, (own) => this.onOwnDocument(own));
    if (this.closed) unlisten();
    else this.unlisten = unlisten;
  }

  /** Whether close() was called (this node said goodbye and sends nothing more). */
  protected get isClosed(): boolean {
    return this.closed;
  }

  /** The uids of the other nodes this node counts now. */
  get otherNodes(): string[] {
    return this.liveness.uids;
  }

  /** Resolves once this node counts exactly `count` nodes (itself included): tests wait on it instead of sleeping. */
  whenServerCount(count: number): Promise<void> {
    return this.liveness.when((others) => others + 1 === count);
  }

  // ---- sending --------------------------------------------------------------------------------

  protected publish(document: BusRecord): void {
    if (this.closed && document.type !== MessageType.ADAPTER_CLOSE) return;
    this.heartbeat.refresh();
    this.send({ ...document, uid: this.uid, nsp: this.host.name });
  }

  /** Answers go to every node on the namespace channel: the asking one knows the request id. None after the goodbye. */
  protected respond(type: number, data: BusRecord): void {
    if (this.closed) return;
    this.send({ uid: this.uid, nsp: this.host.name, type, data });
  }

  private send(document: BusRecord & { nsp: string }): void {
    this.bus.publish(document).then(
      () => {
        this.publishFailing = false;
      },
      (error: unknown) => {
        // Once per outage: with Postgres down every broadcast fails, and the log must not drown.
        if (this.publishFailing) return;
        this.publishFailing = true;
        this.options.onError(error, `notify on ${this.bus.channel(this.host.name)}`);
      },
    );
  }

  override broadcast(packet: BroadcastPacket, options: BroadcastOptions): void {
    const origin = this.originOf(packet, options);
    if (!options.flags?.local) {
      const data: BusRecord = { packet: { type: EVENT, data: packet.data, nsp: this.host.name }, opts: wireOptions(options) };
      // Its number for recovery goes beside the packet (stock nodes ignore fields they do not know).
      if (origin) data.seq = origin.seq;
      this.publish({ type: MessageType.BROADCAST, data });
    }
    this.deliverBroadcast(packet, options, origin);
  }

  protected override ackRequestId(): string {
    return shortId() + shortId();
  }

  protected override publishWithAck(requestId: string, packet: BroadcastPacket, options: BroadcastOptions): void {
    const data = { packet: { type: EVENT, data: packet.data, nsp: this.host.name }, requestId, opts: wireOptions(options) };
    this.publish({ type: MessageType.BROADCAST, data });
  }

  override async serverCount(): Promise<number> {
    return 1 + this.liveness.count;
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onDocument(document: BusRecord): void {
    // Documents are handed on a turn after they arrive: one queued when this node said goodbye is
    // for a node that left (its answers would go to a NOTIFY connection being ended).
    if (this.closed) return;
    const { uid, type } = document;
    if (uid === this.uid) return;
    // Emitters are not nodes: only node uids count for serverCount.
    if (typeof uid === "string" && uid !== EMITTER_UID) this.liveness.seen(uid);
    // A document without nsp (@socket.io/postgres-emitter 0.1.1 sends none) is for the namespace of its channel.
    const nsp = document.nsp ?? this.host.name;
    if (nsp !== this.host.name) return;
    try {
      this.onMessage(type, uid, isRecord(document.data) ? document.data : {});
    } catch (error) {
      // A request that makes application code throw (a join hook, a server-side listener) must not take the node down.
      this.options.onError(error, "document from another node");
    }
  }

  private onMessage(type: unknown, uid: unknown, data: BusRecord): void {
    switch (type) {
      case MessageType.INITIAL_HEARTBEAT:
        this.publish({ type: MessageType.HEARTBEAT });
        return;
      case MessageType.ADAPTER_CLOSE:
        if (typeof uid === "string") this.liveness.remove(uid);
        return;
      case MessageType.BROADCAST:
        this.onBroadcast(uid, data);
        return;
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK: {
        const request = this.ackRequests.get(data.requestId);
        if (!request) return;
        if (type === MessageType.BROADCAST_ACK) request.ack(data.packet);
        else if (typeof data.clientCount === "number") request.sent(data.clientCount);
        return;
      }
      default:
        this.onRequestOrResponse(type, uid, data);
    }
  }

  private onBroadcast(uid: unknown, data: BusRecord): void {
    const packet = eventPacketOf(data.packet);
    const options = optionsOf(data.opts ?? {});
    if (!packet || !options) return;
    const { requestId } = data;
    if (requestId === undefined) {
      const seq = sequenceOf(data.seq);
      this.receive(packet.data, options, true, typeof uid === "string" && seq !== undefined ? { uid, seq } : undefined);
      return;
    }
    if (typeof requestId !== "string" || typeof uid !== "string") return;
    const id = this.host.nextAckId();
    this.deliverWithAck(
      { data: packet.data, id },
      { rooms: options.rooms, except: options.except ?? new Set() },
      (clientCount) => this.respond(MessageType.BROADCAST_CLIENT_COUNT, { requestId, clientCount }),
      (answer) => this.respond(MessageType.BROADCAST_ACK, { requestId, packet: answer }),
    );
    forgetAcksAfter(this.host, id, options.flags?.timeout ?? this.options.requestsTimeout);
  }

  /** Resolves once this node's documents (its goodbye after close() included) went out: end the Postgres client after it. */
  drained(): Promise<void> {
    return this.bus.drained();
  }

  override close(): void {
    if (this.closed) return;
    // Said before leaving, so the others stop counting this node at once instead of after the timeout.
    this.publish({ type: MessageType.ADAPTER_CLOSE });
    this.closed = true;
    clearTimeout(this.heartbeat);
    this.unlisten?.();
    this.liveness.close();
    super.close();
  }
}
