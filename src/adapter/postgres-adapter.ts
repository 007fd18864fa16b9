// A cluster adapter over Postgres LISTEN/NOTIFY, wire-compatible with @socket.io/postgres-adapter 0.5 (stock
// socket.io nodes share the cluster; nodes are counted by heartbeat). Here: what nodes ask each other and the
// answers, and a session's handoff; Postgres itself, heartbeats and broadcasts are PostgresBusAdapter's.
import { isDetails, optionsOf, roomsOf, serializableDetails, shortId, wireOptions, type BusRecord } from "./cluster-protocol.ts";
import type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
import { PendingRequests } from "./pending-requests.ts";
import { PostgresBus } from "./postgres-bus.ts";
import { PostgresBusAdapter, type PostgresAdapterOptions } from "./postgres-bus-adapter.ts";
import { PostgresSessionStore } from "./postgres-session-store.ts";
import { HandoffType } from "./session-handoff.ts";
import type { PostgresBusClient } from "./postgres-client.ts";
import { isRecord, MessageType } from "./postgres-protocol.ts";
import type { AdapterHost, BroadcastOptions, RestoredSession, Room, SocketDetails, SocketId } from "./types.ts";

export type { PostgresAdapterOptions } from "./postgres-bus-adapter.ts";

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

export class PostgresAdapter extends PostgresBusAdapter {
  private readonly requests: PendingRequests;
  private readonly sessionStore: PostgresSessionStore | undefined;

  constructor(host: AdapterHost, deps: AdapterDeps, bus: PostgresBus, options: PostgresAdapterOptions) {
    let store: PostgresSessionStore | undefined;
    // Made by the bus adapter's constructor, before this node listens (see PostgresBusAdapter).
    super(host, deps, bus, options, (window, uid) => {
      const { sessionTableName, cleanupInterval, onError } = options;
      store = new PostgresSessionStore(bus.client, sessionTableName, bus.channel(host.name), uid, window, cleanupInterval, onError);
      return store;
    });
    this.sessionStore = store;
    this.requests = new PendingRequests(options.requestsTimeout);
  }

  // ---- asking ---------------------------------------------------------------------------------

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

  // ---- answering ------------------------------------------------------------------------------

  protected override onRequestOrResponse(type: unknown, uid: unknown, data: BusRecord): void {
    switch (type) {
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
    }
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

  protected override onOwnDocument(own: BusRecord): void {
    // Our restore request back from Postgres: the answering node's log ends before it (it answers on receipt).
    if (own.type === HandoffType.RESTORE_SESSION && isRecord(own.data)) this.sessionSearches.echoed(own.data.requestId);
  }

  protected override nodeGone(uid: string): void {
    this.requests.nodeGone(uid);
    this.sessionSearches.nodeGone(uid);
  }

  override close(): void {
    // Once, as before the split (requests added after a first close run to their timeout).
    if (this.isClosed) return;
    this.requests.close();
    super.close();
  }
}
