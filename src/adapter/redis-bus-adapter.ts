// The Redis side of the Redis cluster adapter: this node's channels and subscriptions, publishing,
// broadcasts sent and received (with or without acks), and handing the requests and responses of
// other nodes on to RedisAdapter, which answers and collects them.
import { encode as msgpackEncode } from "notepack.io-3";
import { channelsFor, decodeBody, decodeBroadcast, EVENT, eventPacketOf, optionsOf, RequestType, shortId, wireOptions, type BusRecord, type ClusterChannels } from "./cluster-protocol.ts";
import { forgetAcksAfter } from "./ack-requests.ts";
import { ClusterBaseAdapter } from "./cluster-base-adapter.ts";
import type { AdapterDeps } from "./local-adapter.ts";
import type { RedisPublisher, RedisSubscriber } from "./redis-client.ts";
import type { AdapterHost, BroadcastOptions, BroadcastPacket, Room } from "./types.ts";

export type RedisAdapterOptions = {
  /** Channel prefix shared by the cluster; socket.io's default is "socket.io". */
  key: string;
  /** Milliseconds to wait for the other nodes' answers (fetchSockets, serverSideEmitWithAck…). */
  requestsTimeout: number;
  /** Ask other nodes to answer on this node's own response channel (the official option of that name). */
  publishOnSpecificResponseChannel: boolean;
  /** Where failures to publish go (the bus being down must not crash the server). */
  onError: (error: unknown, context: string) => void;
};

export abstract class RedisBusAdapter extends ClusterBaseAdapter {
  /** This node's id: messages carrying it are our own, come back from Redis. */
  readonly uid = shortId();
  readonly channels: ClusterChannels;
  /** Resolves once this node listens to the cluster (its broadcasts and requests). */
  readonly ready: Promise<void>;
  /**
   * How our own broadcasts start on the wire after their first byte (a 3- or 4-element array):
   * MessagePack of our uid. Redis sends every node its own broadcasts back: they are recognised by
   * these bytes, not decoded.
   */
  private readonly ownUidBytes: Buffer;
  private publishFailing = false;
  private readonly onBroadcastMessage = (_pattern: Buffer | string, channel: Buffer | string, message: Buffer) => {
    // Before anything else (even the channel's name): half of what a node receives is its own.
    if ((message[0] === 0x93 || message[0] === 0x94) && message.subarray(1, 1 + this.ownUidBytes.length).equals(this.ownUidBytes)) return;
    this.onBroadcast(channel.toString(), message);
  };
  private readonly onRequestMessage = (channel: Buffer | string, message: Buffer) => this.onRequestOrResponse(channel.toString(), message);

  constructor(
    host: AdapterHost,
    deps: AdapterDeps,
    private readonly pub: RedisPublisher,
    private readonly sub: RedisSubscriber,
    protected readonly options: RedisAdapterOptions,
  ) {
    super(host, deps, options.requestsTimeout);
    this.channels = channelsFor(options.key, host.name, this.uid);
    this.ownUidBytes = msgpackEncode(this.uid);
    sub.on("pmessageBuffer", this.onBroadcastMessage);
    sub.on("messageBuffer", this.onRequestMessage);
    // The pattern first: once the request channel counts this node (NUMSUB), broadcasts reach it too.
    this.ready = Promise.all([
      sub.psubscribe(`${this.channels.broadcast}*`),
      sub.subscribe(this.channels.request, this.channels.response, this.channels.specificResponse),
    ]).then(() => undefined);
    this.ready.catch((error: unknown) => options.onError(error, "subscribe"));
  }

  /** A request from another node (our own come back too), already decoded; exceptions it throws are logged. */
  protected abstract onRequest(request: BusRecord): void;

  /** A response to a request, already decoded; exceptions it throws are logged. */
  protected abstract onResponse(response: BusRecord): void;

  // ---- sending --------------------------------------------------------------------------------

  protected publish(channel: string, message: string | Buffer): void {
    this.pub.publish(channel, message).then(
      () => {
        this.publishFailing = false;
      },
      (error: unknown) => {
        // Once per outage: with Redis down every broadcast fails, and the log must not drown.
        if (this.publishFailing) return;
        this.publishFailing = true;
        this.options.onError(error, `publish to ${channel}`);
      },
    );
  }

  protected request(body: BusRecord): void {
    this.publish(this.channels.request, JSON.stringify(body));
  }

  /** Answers on the shared response channel, or the asker's own when this node is set to. */
  protected respond(request: BusRecord, response: string | Buffer): void {
    const own = this.options.publishOnSpecificResponseChannel && typeof request.uid === "string";
    this.publish(own ? `${this.channels.response}${String(request.uid)}#` : this.channels.response, response);
  }

  override broadcast(packet: BroadcastPacket, options: BroadcastOptions): void {
    const origin = this.originOf(packet, options);
    if (!options.flags?.local) {
      const event = { type: EVENT, data: packet.data, nsp: this.host.name };
      // Its number for recovery goes beside the packet, as a 4th element (stock nodes read three).
      const message = msgpackEncode(origin ? [this.uid, event, wireOptions(options), origin.seq] : [this.uid, event, wireOptions(options)]);
      // One room: its own channel, which only nodes with a member act on (the official optimisation).
      const [only] = options.rooms.size === 1 ? (options.rooms as ReadonlySet<Room>) : [];
      this.publish(only === undefined ? this.channels.broadcast : `${this.channels.broadcast}${only}#`, message);
    }
    this.deliverBroadcast(packet, options, origin);
  }

  protected override ackRequestId(): string {
    return shortId();
  }

  protected override publishWithAck(requestId: string, packet: BroadcastPacket, options: BroadcastOptions): void {
    const body = { uid: this.uid, requestId, type: RequestType.BROADCAST, packet: { type: EVENT, data: packet.data, nsp: this.host.name }, opts: wireOptions(options) };
    this.publish(this.channels.request, msgpackEncode(body));
  }

  override async serverCount(): Promise<number> {
    const reply = await this.pub.call("PUBSUB", "NUMSUB", this.channels.request);
    const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    // This node is subscribed: a count below one means the reply is not what we asked for.
    return Number.isFinite(count) && count >= 1 ? count : 1;
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onBroadcast(channel: string, message: Buffer): void {
    if (!channel.startsWith(this.channels.broadcast)) return;
    const room = channel.slice(this.channels.broadcast.length, -1);
    // A single-room broadcast only matters to nodes with a member in that room.
    // With recovery on it is still kept: a socket that dropped from that room may come back on another node.
    const absent = room !== "" && !this.hasRoom(room);
    if (absent && !this.recovering) return;
    const decoded = decodeBroadcast(message);
    if (!decoded.ok) return;
    const { uid, nsp, data, options, seq } = decoded.value;
    if (uid === this.uid || nsp !== this.host.name) return;
    this.receive(data, options, !absent, typeof uid === "string" && seq !== undefined ? { uid, seq } : undefined);
  }

  /** Another node's broadcast with acks (a request): delivered here, with this node's count and its sockets' acks sent back. */
  protected onBroadcastWithAck(request: BusRecord): void {
    const { requestId } = request;
    // Our own request (we registered its id) comes back from Redis: our sockets already have it.
    if (typeof requestId !== "string" || this.ackRequests.has(requestId)) return;
    const packet = eventPacketOf(request.packet);
    const options = optionsOf(request.opts ?? {});
    if (!packet || !options || packet.nsp !== this.host.name) return;
    const data = packet.data;
    const id = this.host.nextAckId();
    this.deliverWithAck(
      { data, id },
      { rooms: options.rooms, except: options.except ?? new Set() },
      (clientCount) => this.respond(request, JSON.stringify({ type: RequestType.BROADCAST_CLIENT_COUNT, requestId, clientCount })),
      (answer) => this.respond(request, msgpackEncode({ type: RequestType.BROADCAST_ACK, requestId, packet: answer })),
    );
    forgetAcksAfter(this.host, id, options.flags?.timeout ?? this.options.requestsTimeout);
  }

  private onRequestOrResponse(channel: string, message: Buffer): void {
    const isResponse = channel === this.channels.response || channel === this.channels.specificResponse;
    if (!isResponse && channel !== this.channels.request) return;
    const decoded = decodeBody(message);
    if (!decoded.ok) return;
    try {
      if (isResponse) this.onResponse(decoded.value);
      else this.onRequest(decoded.value);
    } catch (error) {
      // A request that makes application code throw (a join hook, a server-side listener) must not take the node down.
      this.options.onError(error, "request from another node");
    }
  }

  override close(): void {
    this.sub.off("pmessageBuffer", this.onBroadcastMessage);
    this.sub.off("messageBuffer", this.onRequestMessage);
    const ignore = (error: unknown) => this.options.onError(error, "unsubscribe");
    this.sub.punsubscribe(`${this.channels.broadcast}*`).catch(ignore);
    this.sub.unsubscribe(this.channels.request, this.channels.response, this.channels.specificResponse).catch(ignore);
    super.close();
  }
}
