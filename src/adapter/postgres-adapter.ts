// A cluster adapter over Postgres LISTEN/NOTIFY, wire-compatible with @socket.io/postgres-adapter 0.5:
// nodes of this server and socket.io nodes with the official adapter share one cluster; nodes are
// counted by heartbeat. What reaches this node's sockets still goes out through the local adapter's Bun topics.
import { eventPacketOf, EVENT, isDetails, optionsOf, roomsOf, serializableDetails, shortId, wireOptions, type BusRecord } from "./cluster-protocol.ts";
import { forgetAcksAfter } from "./ack-requests.ts";
import { ClusterBaseAdapter } from "./cluster-base-adapter.ts";
import type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
import { NodeLiveness } from "./node-liveness.ts";
import { PendingRequests } from "./pending-requests.ts";
import { PostgresBus, type PostgresBusOptions } from "./postgres-bus.ts";
import { sequenceOf } from "./cluster-protocol.ts";
import { PostgresSessionStore } from "./postgres-session-store.ts";
import { HandoffType } from "./session-handoff.ts";
import { leaseInterval } from "./session-snapshots.ts";
import type { PostgresBusClient } from "./postgres-client.ts";
import { EMITTER_UID, MAX_CHANNEL_BYTES, MessageType } from "./postgres-protocol.ts";
import type { AdapterHost, BroadcastOptions, BroadcastPacket, RestoredSession, Room, SocketDetails, SocketId } from "./types.ts";

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

const DEFAULTS: PostgresAdapterOptions = {
  channelPrefix: "socket.io",
  tableName: "socket_io_attachments",
  payloadThreshold: 8000,
  cleanupInterval: 30_000,
  heartbeatInterval: 5000,
  heartbeatTimeout: 10_000,
  requestsTimeout: 5000,
  sessionTableName: "socket_io_sessions",
  onError: (error, context) => console.error(`postgres adapter: ${context}`, error),
  onRelisten: () => {},
  onPublishDropped: () => {},
  onPublishResumed: () => {},
};

/** The adapter factory for Server options: `new Server({ adapter: createPostgresAdapter(sql) })` with a postgres.js `sql`. */
export function createPostgresAdapter(client: PostgresBusClient, options: Partial<PostgresAdapterOptions> = {}): AdapterFactory {
  const resolved = { ...DEFAULTS, ...options };
  const bus = new PostgresBus(client, resolved);
  return (host, deps) => new PostgresAdapter(host, deps, bus, resolved);
}

const isRecord = (value: unknown): value is BusRecord => typeof value === "object" && value !== null && !Array.isArray(value);

export class PostgresAdapter extends ClusterBaseAdapter {
  /** This node's id in this namespace: documents carrying it are our own, back from Postgres. */
  readonly uid = shortId() + shortId();
  /** Resolves once this node listens to the cluster and has announced itself. */
  readonly ready: Promise<void>;
  private readonly liveness: NodeLiveness;
  private readonly requests: PendingRequests;
  private readonly heartbeat: Timer;
  private unlisten: (() => void) | undefined;
  private closed = false;
  private publishFailing = false;
  private sessionStore: PostgresSessionStore | undefined;

  constructor(
    host: AdapterHost,
    deps: AdapterDeps,
    private readonly bus: PostgresBus,
    private readonly options: PostgresAdapterOptions,
  ) {
    super(host, deps, options.requestsTimeout);
    this.requests = new PendingRequests(options.requestsTimeout);
    this.liveness = new NodeLiveness(options.heartbeatTimeout, (uid) => {
      this.requests.nodeGone(uid);
      this.sessionSearches.nodeGone(uid);
    });
    this.startRecovery((window) => {
      const { sessionTableName, cleanupInterval, onError } = options;
      this.sessionStore = new PostgresSessionStore(bus.client, sessionTableName, bus.channel(host.name), this.uid, window, leaseInterval(window), cleanupInterval, onError);
      return this.sessionStore;
    }, options.onError);
    // Re-armed by every document this node sends: a heartbeat goes out only after a quiet interval.
    this.heartbeat = setTimeout(() => this.publish({ type: MessageType.HEARTBEAT }), options.heartbeatInterval);
    this.heartbeat.unref();
    this.ready = this.connect();
    this.ready.catch((error: unknown) => options.onError(error, "listen"));
  }

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
    }, (own) => {
      // Our restore request back from Postgres: the answering node's log ends before it (it answers on receipt).
      if (own.type === HandoffType.RESTORE_SESSION && isRecord(own.data)) this.sessionSearches.echoed(own.data.requestId);
    });
    if (this.closed) unlisten();
    else this.unlisten = unlisten;
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

  private publish(document: BusRecord): void {
    if (this.closed && document.type !== MessageType.ADAPTER_CLOSE) return;
    this.heartbeat.refresh();
    this.send({ ...document, uid: this.uid, nsp: this.host.name });
  }

  /** Answers go to every node on the namespace channel: the asking one knows the request id. */
  private respond(type: number, data: BusRecord): void {
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

  override async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    const local = this.localDetails(options);
    if (options.flags?.local) return local;
    const answers = await this.ask(MessageType.FETCH_SOCKETS, { opts: wireOptions(options) }, options.flags?.timeout, (data) =>
      Array.isArray(data.sockets) ? data.sockets.filter(isDetails) : undefined,
    );
    return [...local, ...answers.flat()];
  }

  override async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    // The official protocol has no request for ids alone: the sockets' descriptions carry them.
    const all = await this.fetchSockets({ rooms, except: new Set() });
    return new Set(all.map((details) => details.id));
  }

  override async allRooms(): Promise<Set<Room>> {
    const rooms = this.localRooms();
    for (const details of await this.fetchSockets({ rooms: new Set(), except: new Set() })) for (const room of details.rooms) rooms.add(room);
    return rooms;
  }

  /** Sends a request every other node alive answers; resolves with what `take` makes of each answer. */
  private async ask<T>(type: number, data: BusRecord, timeout: number | undefined, take: (data: BusRecord) => T | undefined): Promise<T[]> {
    const others = new Set(this.liveness.uids);
    if (others.size === 0) return [];
    const requestId = shortId() + shortId();
    return new Promise<T[]>((resolve, reject) => {
      const answers: T[] = [];
      this.requests.add(
        requestId,
        {
          remaining: others.size,
          from: others,
          take: (response) => {
            const value = isRecord(response.data) ? take(response.data) : undefined;
            if (value === undefined) return false;
            answers.push(value);
            return true;
          },
          done: () => resolve(answers),
          expire: () => reject(new Error(`timeout reached: missing ${others.size} responses`)),
        },
        timeout ?? this.options.requestsTimeout,
      );
      this.publish({ type, data: { ...data, requestId } });
    });
  }

  override addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    super.addSockets(options, rooms);
    if (!options.flags?.local) this.publish({ type: MessageType.SOCKETS_JOIN, data: { opts: wireOptions(options), rooms: [...rooms] } });
  }

  override delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    super.delSockets(options, rooms);
    if (!options.flags?.local) this.publish({ type: MessageType.SOCKETS_LEAVE, data: { opts: wireOptions(options), rooms: [...rooms] } });
  }

  override disconnectSockets(options: BroadcastOptions, close: boolean): void {
    // Asked of the others first: the local sockets' disconnection may change what matches.
    if (!options.flags?.local) this.publish({ type: MessageType.DISCONNECT_SOCKETS, data: { opts: wireOptions(options), close } });
    super.disconnectSockets(options, close);
  }

  override serverSideEmit(packet: unknown[]): void {
    this.publish({ type: MessageType.SERVER_SIDE_EMIT, data: { packet } });
  }

  override serverSideEmitWithAck(packet: unknown[]): Promise<unknown[]> {
    return this.ask(MessageType.SERVER_SIDE_EMIT, { packet }, undefined, (data) => ({ answer: data.packet })).then((answers) =>
      answers.map(({ answer }) => answer),
    );
  }

  /**
   * A session this node does not have may have been kept by the node the client left: that node
   * answers with it and the broadcasts the client missed there (our message type; stock nodes ignore it).
   */
  override restoreSession(pid: string, offset: string): RestoredSession | undefined | Promise<RestoredSession | undefined> {
    return this.restoreHere(pid, offset) ?? this.askForSession(pid, offset);
  }

  /** The live nodes first; when none has it, the snapshot of a node known dead (heartbeat timeout, goodbye). */
  private async askForSession(pid: string, offset: string): Promise<RestoredSession | undefined> {
    const asked = new Set(this.liveness.uids);
    let answered: ReadonlySet<string> = new Set();
    if (asked.size > 0) {
      const requestId = shortId() + shortId();
      const found = this.sessionSearches.start(requestId, asked);
      this.publish({ type: HandoffType.RESTORE_SESSION, data: { requestId, pid, offset } });
      const outcome = await found;
      if (outcome.session) return outcome.session;
      answered = outcome.answered;
    }
    const store = this.sessionStore;
    const row = await store?.lookup(pid);
    // A node that answered is alive: its snapshot is of a socket it may still hold.
    if (!store || !row || row.holder === this.uid || answered.has(row.holder)) return undefined;
    if (!(await this.liveness.knownDead(row.holder))) return undefined;
    return this.takeOver(pid, offset, row.snapshot, () => store.claim(row.holder, pid));
  }

  private onRestoreRequest(data: BusRecord): void {
    const { requestId, pid, offset } = data;
    if (typeof requestId !== "string" || typeof pid !== "string" || typeof offset !== "string") return;
    const session = this.recovering ? (this.restoreHere(pid, offset) ?? null) : null;
    let serializable = session;
    try {
      // The bus writes JSON (or MessagePack when there are bytes): data it cannot carry means a fresh session.
      JSON.stringify(session);
    } catch (error) {
      this.options.onError(error, "encoding a session for another node");
      serializable = null;
    }
    this.respond(HandoffType.RESTORE_SESSION_RESPONSE, { requestId, session: serializable });
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onDocument(document: BusRecord): void {
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
      case HandoffType.RESTORE_SESSION:
        this.onRestoreRequest(data);
        return;
      case HandoffType.RESTORE_SESSION_RESPONSE:
        this.sessionSearches.answer(data.requestId, data.session, uid);
        return;
      case MessageType.SOCKETS_JOIN:
      case MessageType.SOCKETS_LEAVE: {
        const options = optionsOf(data.opts ?? {});
        const rooms = roomsOf(data.rooms);
        if (!options || !rooms) return;
        if (type === MessageType.SOCKETS_JOIN) super.addSockets(options, rooms);
        else super.delSockets(options, rooms);
        return;
      }
      case MessageType.DISCONNECT_SOCKETS: {
        const options = optionsOf(data.opts ?? {});
        if (options) super.disconnectSockets(options, data.close === true);
        return;
      }
      case MessageType.FETCH_SOCKETS: {
        const options = optionsOf(data.opts ?? {});
        if (typeof data.requestId !== "string" || !options) return;
        this.respond(MessageType.FETCH_SOCKETS_RESPONSE, { requestId: data.requestId, sockets: serializableDetails(this.localDetails(options)) });
        return;
      }
      case MessageType.SERVER_SIDE_EMIT:
        this.onServerSideEmit(data);
        return;
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
        if (typeof data.requestId === "string" && typeof uid === "string") this.requests.answer(data.requestId, { data }, uid);
        return;
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK: {
        const request = this.ackRequests.get(data.requestId);
        if (!request) return;
        if (type === MessageType.BROADCAST_ACK) request.ack(data.packet);
        else if (typeof data.clientCount === "number") request.sent(data.clientCount);
        return;
      }
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

  private onServerSideEmit(data: BusRecord): void {
    const { requestId, packet } = data;
    if (!Array.isArray(packet)) return;
    if (requestId === undefined) {
      this.host.onServerSideEmit(packet);
      return;
    }
    if (typeof requestId !== "string") return;
    let answered = false;
    // One answer per node, the listener's first argument (as the official adapter sends it).
    const callback = (answer: unknown) => {
      if (answered) return;
      answered = true;
      this.respond(MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId, packet: answer });
    };
    this.host.onServerSideEmit([...packet, callback]);
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
    this.requests.close();
    super.close();
  }
}
