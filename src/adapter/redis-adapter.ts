// A cluster adapter over Redis pub/sub, wire-compatible with @socket.io/redis-adapter 8 (stock socket.io
// nodes share the cluster). Here: what nodes ask each other (fetchSockets, socketsJoin/Leave, disconnectSockets,
// serverSideEmit, a session's handoff) and the answers; Redis itself and broadcasts are RedisBusAdapter's.
import { encode as msgpackEncode } from "notepack.io-3";
import { isDetails, optionsOf, RequestType, roomsOf, serializableDetails, shortId, wireOptions, type BusRecord } from "./cluster-protocol.ts";
import type { AdapterDeps, AdapterFactory } from "./local-adapter.ts";
import { PendingRequests } from "./pending-requests.ts";
import { parseOriginOffset } from "./origin-offsets.ts";
import { RedisBusAdapter, type RedisAdapterOptions } from "./redis-bus-adapter.ts";
import { HandoffType } from "./session-handoff.ts";
import type { RedisPublisher, RedisSubscriber } from "./redis-client.ts";
import { RedisSessionStore } from "./redis-session-store.ts";
import type { AdapterHost, BroadcastOptions, RestoredSession, Room, SocketDetails, SocketId } from "./types.ts";

export type { RedisAdapterOptions } from "./redis-bus-adapter.ts";

const DEFAULTS: RedisAdapterOptions = {
  key: "socket.io",
  requestsTimeout: 5000,
  publishOnSpecificResponseChannel: false,
  onError: (error, context) => console.error(`redis adapter: ${context}`, error),
};

/** The adapter factory for Server options: `new Server({ adapter: createRedisAdapter(pub, sub) })`. */
export function createRedisAdapter(pub: RedisPublisher, sub: RedisSubscriber, options: Partial<RedisAdapterOptions> = {}): AdapterFactory {
  const resolved = { ...DEFAULTS, ...options };
  return (host, deps) => new RedisAdapter(host, deps, pub, sub, resolved);
}

export class RedisAdapter extends RedisBusAdapter {
  private sessionStore: RedisSessionStore | undefined;
  private readonly requests: PendingRequests;

  constructor(host: AdapterHost, deps: AdapterDeps, pub: RedisPublisher, sub: RedisSubscriber, options: RedisAdapterOptions) {
    super(host, deps, pub, sub, options);
    this.requests = new PendingRequests(options.requestsTimeout);
    this.startRecovery((window) => {
      this.sessionStore = new RedisSessionStore(pub, options.key, host.name, this.channels.response, this.uid, window);
      return this.sessionStore;
    }, options.onError);
  }

  // ---- asking ---------------------------------------------------------------------------------

  override async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const local = await super.sockets(rooms);
    const answers = await this.ask<unknown[]>(RequestType.SOCKETS, { rooms: [...rooms] }, "sockets", "sockets");
    for (const list of answers) for (const id of list) if (typeof id === "string") local.add(id);
    return local;
  }

  override async allRooms(): Promise<Set<Room>> {
    const rooms = this.localRooms();
    const answers = await this.ask<unknown[]>(RequestType.ALL_ROOMS, {}, "rooms", "allRooms");
    for (const list of answers) for (const room of list) if (typeof room === "string") rooms.add(room);
    return rooms;
  }

  override async fetchSockets(options: BroadcastOptions): Promise<SocketDetails[]> {
    const local = this.localDetails(options);
    if (options.flags?.local) return local;
    const opts = { rooms: [...options.rooms], except: [...(options.except ?? [])] };
    const answers = await this.ask<unknown[]>(RequestType.REMOTE_FETCH, { opts }, "sockets", "fetchSockets");
    for (const list of answers) for (const details of list) if (isDetails(details)) local.push(details);
    return local;
  }

  /** Sends a request every other node answers; resolves with each answer's `field` (an array). */
  private ask<T extends unknown[]>(type: number, fields: BusRecord, field: string, name: string): Promise<T[]> {
    return this.askAll<T>(
      { type, ...fields },
      (response, answers) => {
        const value = response[field];
        if (Array.isArray(value)) answers.push(value as T);
      },
      () => `timeout reached while waiting for ${name} response`,
    );
  }

  /**
   * Sends a request to every other node and collects what `take` keeps of each answer; rejects with
   * `timeoutMessage` when some node has not answered by the requests timeout.
   */
  private async askAll<T>(request: BusRecord, take: (response: BusRecord, answers: T[]) => void, timeoutMessage: (received: number, expected: number) => string): Promise<T[]> {
    const others = (await this.serverCount()) - 1;
    if (others <= 0) return [];
    const requestId = shortId();
    return new Promise<T[]>((resolve, reject) => {
      const answers: T[] = [];
      this.requests.add(requestId, {
        remaining: others,
        take: (response) => {
          take(response, answers);
          return true;
        },
        done: () => resolve(answers),
        expire: () => reject(new Error(timeoutMessage(answers.length, others))),
      });
      this.request({ uid: this.uid, requestId, ...request });
    });
  }

  override addSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    super.addSockets(options, rooms);
    if (!options.flags?.local) this.request({ uid: this.uid, type: RequestType.REMOTE_JOIN, opts: wireOptions({ rooms: options.rooms, except: options.except }), rooms: [...rooms] });
  }

  override delSockets(options: BroadcastOptions, rooms: readonly Room[]): void {
    super.delSockets(options, rooms);
    if (!options.flags?.local) this.request({ uid: this.uid, type: RequestType.REMOTE_LEAVE, opts: wireOptions({ rooms: options.rooms, except: options.except }), rooms: [...rooms] });
  }

  override disconnectSockets(options: BroadcastOptions, close: boolean): void {
    // Asked of the others first: the local sockets' disconnection may change what matches.
    if (!options.flags?.local) this.request({ uid: this.uid, type: RequestType.REMOTE_DISCONNECT, opts: wireOptions({ rooms: options.rooms, except: options.except }), close });
    super.disconnectSockets(options, close);
  }

  override serverSideEmit(packet: unknown[]): void {
    this.request({ uid: this.uid, type: RequestType.SERVER_SIDE_EMIT, data: packet });
  }

  override serverSideEmitWithAck(packet: unknown[]): Promise<unknown[]> {
    return this.askAll<unknown>(
      { type: RequestType.SERVER_SIDE_EMIT, data: packet },
      (response, answers) => void answers.push(response.data),
      (received, expected) => `timeout reached: only ${received} responses received out of ${expected}`,
    );
  }

  /**
   * A session this node does not have may have been kept by the node the client left: that node
   * answers with it and the broadcasts the client missed there (our request type; stock nodes ignore it).
   */
  override restoreSession(pid: string, offset: string): RestoredSession | undefined | Promise<RestoredSession | undefined> {
    return this.restoreHere(pid, offset) ?? this.askForSession(pid, offset);
  }

  /** The live nodes first; when none has it, the snapshot left by the node of the offset if that node is gone from the bus. */
  private async askForSession(pid: string, offset: string): Promise<RestoredSession | undefined> {
    const others = (await this.serverCount()) - 1;
    if (others > 0) {
      const requestId = shortId();
      const found = this.sessionSearches.start(requestId, others);
      this.request({ uid: this.uid, requestId, type: HandoffType.RESTORE_SESSION, pid, offset });
      const { session } = await found;
      if (session) return session;
    }
    const holder = parseOriginOffset(offset)?.holder;
    const store = this.sessionStore;
    if (!store || holder === undefined || holder === this.uid) return undefined;
    const { alive, snapshot } = await store.lookup(holder, pid);
    return alive ? undefined : this.takeOver(pid, offset, snapshot, () => store.claim(holder, pid));
  }

  private onRestoreRequest(request: BusRecord): void {
    const { requestId, pid, offset } = request;
    if (typeof requestId !== "string" || typeof pid !== "string" || typeof offset !== "string") return;
    const session = this.recovering ? (this.restoreHere(pid, offset) ?? null) : null;
    let body: Buffer;
    try {
      body = msgpackEncode({ type: HandoffType.RESTORE_SESSION_RESPONSE, requestId, uid: this.uid, session });
    } catch (error) {
      // Socket data MessagePack cannot carry: the client starts a fresh session.
      this.options.onError(error, "encoding a session for another node");
      body = msgpackEncode({ type: HandoffType.RESTORE_SESSION_RESPONSE, requestId, uid: this.uid, session: null });
    }
    this.respond(request, body);
  }

  // ---- answering ------------------------------------------------------------------------------

  protected override onRequest(request: BusRecord): void {
    const { requestId, type } = request;
    // Our own requests come back from Redis: this node acted on them when it sent them. A restore
    // request's return marks where the answering node's log ends (it answers on receipt).
    if (request.uid === this.uid) {
      if (type === HandoffType.RESTORE_SESSION) this.sessionSearches.echoed(requestId);
      return;
    }
    switch (type) {
      case RequestType.SOCKETS: {
        const rooms = roomsOf(request.rooms);
        if (typeof requestId !== "string" || !rooms) return;
        this.respond(request, JSON.stringify({ requestId, sockets: this.matchingSockets({ rooms: new Set(rooms) }) }));
        return;
      }
      case RequestType.ALL_ROOMS:
        if (typeof requestId !== "string") return;
        this.respond(request, JSON.stringify({ requestId, rooms: [...this.localRooms()] }));
        return;
      case RequestType.REMOTE_JOIN:
      case RequestType.REMOTE_LEAVE:
      case RequestType.REMOTE_DISCONNECT:
        this.onRemoteOperation(request);
        return;
      case RequestType.REMOTE_FETCH: {
        const options = optionsOf(request.opts);
        if (typeof requestId !== "string" || !options) return;
        this.respond(request, JSON.stringify({ requestId, sockets: serializableDetails(this.localDetails(options)) }));
        return;
      }
      case RequestType.SERVER_SIDE_EMIT:
        this.onServerSideEmit(request);
        return;
      case RequestType.BROADCAST:
        this.onBroadcastWithAck(request);
        return;
      case HandoffType.RESTORE_SESSION:
        this.onRestoreRequest(request);
        return;
    }
  }

  /** socketsJoin / socketsLeave / disconnectSockets from another node: by options, or (older nodes) by socket id. */
  private onRemoteOperation(request: BusRecord): void {
    const options = request.opts === undefined ? undefined : optionsOf(request.opts);
    const rooms = request.type === RequestType.REMOTE_DISCONNECT ? [] : roomsOf(request.rooms ?? (typeof request.room === "string" ? [request.room] : undefined));
    if (!rooms) return;
    const close = request.close === true;
    if (options) {
      if (request.type === RequestType.REMOTE_JOIN) super.addSockets(options, rooms);
      else if (request.type === RequestType.REMOTE_LEAVE) super.delSockets(options, rooms);
      else super.disconnectSockets(options, close);
      return;
    }
    if (typeof request.sid !== "string" || typeof request.requestId !== "string") return;
    const socket = this.host.sockets.get(request.sid);
    if (!socket) return;
    if (request.type === RequestType.REMOTE_JOIN) socket.join(rooms);
    else if (request.type === RequestType.REMOTE_LEAVE) for (const room of rooms) socket.leave(room);
    else socket.disconnect(close);
    this.respond(request, JSON.stringify({ requestId: request.requestId }));
  }

  private onServerSideEmit(request: BusRecord): void {
    const { requestId, data } = request;
    if (!Array.isArray(data)) return;
    if (requestId === undefined) {
      this.host.onServerSideEmit(data);
      return;
    }
    let answered = false;
    // One answer per node, the listener's first argument (as the official adapter sends it); always on the shared channel.
    const callback = (answer: unknown) => {
      if (answered) return;
      answered = true;
      this.publish(this.channels.response, JSON.stringify({ type: RequestType.SERVER_SIDE_EMIT, requestId, data: answer }));
    };
    this.host.onServerSideEmit([...data, callback]);
  }

  protected override onResponse(response: BusRecord): void {
    const { requestId } = response;
    if (typeof requestId !== "string") return;
    if (response.type === HandoffType.RESTORE_SESSION_RESPONSE) {
      this.sessionSearches.answer(requestId, response.session, response.uid);
      return;
    }
    const ackRequest = this.ackRequests.get(requestId);
    if (ackRequest) {
      if (response.type === RequestType.BROADCAST_CLIENT_COUNT && typeof response.clientCount === "number") ackRequest.sent(response.clientCount);
      else if (response.type === RequestType.BROADCAST_ACK) ackRequest.ack(response.packet);
      return;
    }
    this.requests.answer(requestId, response);
  }

  override close(): void {
    this.requests.close();
    super.close();
  }
}
