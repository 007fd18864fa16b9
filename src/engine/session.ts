// One Engine.IO session: its current transport (long-polling, then maybe WebSocket) and the upgrade
// between them, the v4 heartbeat, inbound dispatch, and exactly one close. How packets travel is
// the transports' job (polling-transport.ts, websocket-transport.ts, upgrade.ts).
import type { Admission } from "./address-limits.ts";
import type { HeartbeatLane } from "./heartbeat-lane.ts";
import { decodePacket, type EnginePacket } from "./parser.ts";
import { PollingTransport } from "./polling-transport.ts";
import type { HttpPort } from "./server.ts";
import type { WsConnection } from "./transport.ts";
import type {
  CloseReason,
  EngineOptions,
  EngineSession,
  HandshakeRequest,
  MessageData,
  SessionHandler,
  TransportName,
} from "./types.ts";
import { Upgrade, type UpgradeOwner } from "./upgrade.ts";
import { WebSocketTransport } from "./websocket-transport.ts";

/** What the session needs of the server that owns it. */
export interface SessionHost {
  readonly options: EngineOptions;
  /** Sessions waiting to send their next ping, and sessions waiting for a pong (Session.heartbeatDue runs when a wait ends). */
  readonly heartbeats: { readonly ping: HeartbeatLane<Session>; readonly pong: HeartbeatLane<Session> };
  /** Gives back a pending session's hold on its address (accepted by the layer above, or closed). */
  releaseAdmission(admission: Admission): void;
  sessionClosed(session: Session): void;
  /** Closed, but its last packets wait for one more GET (bounded by the host's own timer). */
  sessionLingering(session: Session): void;
  pollingSubscribe(session: Session, topic: string): void;
  pollingUnsubscribe(session: Session, topic: string): void;
  reportError(error: unknown, context: string): void;
}

// A POST with more packets than this is dispatched over several event-loop turns, so one big
// payload cannot stall every other connection.
const INBOUND_BATCH = 256;

/** Shared empty queue: replaced by a real array on the first push (never pushed to itself). */
const NO_PACKETS: EnginePacket[] = Object.freeze([]) as unknown as EnginePacket[];
const PING: EnginePacket = Object.freeze({ type: "ping" });

export class Session implements EngineSession, UpgradeOwner {
  closed = false;
  onmessage: ((data: MessageData) => void) | undefined;
  onclose: ((reason: CloseReason, description?: string) => void) | undefined;
  onupgrade: (() => void) | undefined;
  handler: SessionHandler | undefined;
  readonly issued: number;

  private current: PollingTransport | WebSocketTransport;
  private upgrade: Upgrade | undefined;
  private inbound: EnginePacket[] = NO_PACKETS;
  private inboundNext = 0;
  private draining = false;
  // Which heartbeat wait the session is in (before its next ping, or for a pong): an entry in one of
  // the host's two shared lanes, not a timer per session (a timer costs ~250 B of memory).
  private heartbeat: HeartbeatLane<Session> | undefined;
  private awaitingPong = false;
  private pongRefreshed = false;
  /** Its hold on its address's pending count (address limits), until established or closed. */
  admission: Admission | undefined;

  constructor(
    readonly id: string,
    readonly handshake: HandshakeRequest,
    private readonly host: SessionHost,
    ws?: WsConnection,
    port?: HttpPort,
  ) {
    this.issued = Date.now();
    this.current = ws && port ? new WebSocketTransport(ws, port, this) : new PollingTransport(this, host);
    this.schedulePing();
  }

  established(): void {
    if (!this.admission) return;
    this.host.releaseAdmission(this.admission);
    this.admission = undefined;
  }

  get transport(): TransportName {
    return this.current.name;
  }

  get writable(): boolean {
    return !this.closed && this.current.writable;
  }

  /** The WebSocket to publish through when this session is on that transport, else undefined. */
  get websocket(): WsConnection | undefined {
    return this.current.websocket;
  }

  /** The HTTP server that WebSocket belongs to. */
  get websocketPort(): HttpPort | undefined {
    return this.current.port;
  }

  /** The long-polling transport while the session is on it (requests for it are refused otherwise). */
  get polling(): PollingTransport | undefined {
    return this.current.name === "polling" ? this.current : undefined;
  }

  get isUpgrading(): boolean {
    return this.upgrade !== undefined;
  }

  // ---- outbound ------------------------------------------------------------------------------

  send(...messages: MessageData[]): void {
    this.write(messages);
  }

  write(messages: readonly MessageData[]): void {
    if (this.closed || messages.length === 0) return;
    this.current.write(messages);
  }

  /** Bun's drain: the WebSocket's send buffer emptied below the limit again. */
  drained(): void {
    this.current.drained();
  }

  // ---- WebSocket frames ----------------------------------------------------------------------

  /** A frame on this session's WebSocket (not an upgrade probe). */
  frame(frame: string | Uint8Array): void {
    // The common case, a text message with nothing queued before it, skips the general decoder.
    if (typeof frame === "string" && frame.charCodeAt(0) === 52 /* 4 */ && this.inboundNext === this.inbound.length && !this.draining) {
      if (this.awaitingPong) this.refreshPongWait();
      this.deliver(frame.slice(1));
      return;
    }
    const decoded = decodePacket(frame);
    if (!decoded.ok) {
      this.close("parse error", decoded.error);
      return;
    }
    if (this.inbound.length === 0 && !this.draining) this.handlePacket(decoded.value);
    else this.dispatch([decoded.value]);
  }

  /** A WebSocket of this session closed (client went away, or Bun closed it: too big, backpressure). */
  websocketClosed(ws: WsConnection, code: number): void {
    if (ws === this.upgrade?.ws) {
      this.upgrade.abort(false);
      return;
    }
    if (this.closed || !this.current.peerClosed(ws)) return;
    // 1009: Bun refused a frame over maxPayloadLength, which the reference reports as a transport error.
    this.close(code === 1009 ? "transport error" : "transport close", `websocket closed (${code})`);
  }

  // ---- upgrade -------------------------------------------------------------------------------

  /** A WebSocket opened with this session's sid. False: not acceptable now (caller closes it). */
  attachProbe(ws: WsConnection, port: HttpPort): boolean {
    const polling = this.current;
    if (this.closed || polling.name !== "polling" || this.upgrade || !this.host.options.allowUpgrades) return false;
    this.upgrade = new Upgrade(ws, port, polling, this, this.host.options.upgradeTimeout);
    return true;
  }

  /** A frame on the WebSocket that is trying to take over. */
  probeFrame(ws: WsConnection, frame: string | Uint8Array): void {
    if (ws === this.upgrade?.ws) this.upgrade.frame(frame);
  }

  upgraded(upgrade: Upgrade): void {
    const polling = this.current;
    if (upgrade !== this.upgrade || polling.name !== "polling") return;
    this.upgrade = undefined;
    const { waiting, topics } = polling.handOver();
    const next = new WebSocketTransport(upgrade.ws, upgrade.port, this);
    this.current = next;
    if (topics) for (const topic of topics) next.subscribe(topic);
    // What waited for the next poll goes out first, in order, before anything newer.
    next.sendAll(waiting);
    this.safely(() => (this.handler ? this.handler.onupgrade?.() : this.onupgrade?.()), "upgrade handler");
  }

  upgradeAbandoned(upgrade: Upgrade): void {
    if (upgrade === this.upgrade) this.upgrade = undefined;
  }

  // ---- topics --------------------------------------------------------------------------------

  subscribe(topic: string): void {
    if (!this.closed) this.current.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.current.unsubscribe(topic);
  }

  // ---- inbound -------------------------------------------------------------------------------

  /** Packets from the transport, handled in order (a long batch over several event-loop turns). */
  dispatch(packets: EnginePacket[]): void {
    if (this.inbound === NO_PACKETS) this.inbound = [];
    for (const packet of packets) this.inbound.push(packet);
    if (!this.draining) this.drainInbound();
  }

  private drainInbound(): void {
    this.draining = true;
    let handled = 0;
    while (this.inboundNext < this.inbound.length && !this.closed) {
      if (handled === INBOUND_BATCH) {
        setImmediate(() => this.drainInbound());
        return;
      }
      const packet = this.inbound[this.inboundNext++] as EnginePacket;
      this.handlePacket(packet);
      handled++;
    }
    this.inbound = NO_PACKETS;
    this.inboundNext = 0;
    this.draining = false;
  }

  private handlePacket(packet: EnginePacket): void {
    if (this.awaitingPong && packet.type !== "pong") this.refreshPongWait();
    switch (packet.type) {
      case "message":
        this.deliver(packet.data);
        return;
      case "pong":
        if (!this.awaitingPong) return;
        this.awaitingPong = false;
        this.schedulePing();
        return;
      case "ping":
        // In v4 only the server pings; a client ping is a protocol violation.
        this.close("transport error", "invalid heartbeat direction");
        return;
      case "close":
        this.close("transport close", "client requested close");
        return;
      default:
        // open, upgrade and noop outside an upgrade are ignored, as by the reference.
        return;
    }
  }

  /** A client busy receiving or sending a large payload may answer late: one more period, once. */
  private refreshPongWait(): void {
    if (this.pongRefreshed) return;
    this.pongRefreshed = true;
    this.wait(this.host.heartbeats.pong);
  }

  private deliver(data: MessageData): void {
    // Inline rather than through safely(): this runs once per message, a closure each time adds up.
    try {
      if (this.handler) this.handler.onmessage(data);
      else this.onmessage?.(data);
    } catch (error) {
      this.host.reportError(error, "message handler");
    }
  }

  // ---- heartbeat -----------------------------------------------------------------------------

  private schedulePing(): void {
    this.wait(this.host.heartbeats.ping);
  }

  /** The heartbeat wait the session was in has ended: time to ping, or the pong is overdue. */
  heartbeatDue(): void {
    const ended = this.heartbeat;
    this.heartbeat = undefined;
    if (ended === this.host.heartbeats.ping) this.sendPing();
    else this.close("ping timeout");
  }

  private sendPing(): void {
    // The pong deadline runs from when the ping is queued, even if no poll is there to carry it.
    this.awaitingPong = true;
    this.pongRefreshed = false;
    this.wait(this.host.heartbeats.pong);
    if (!this.closed) this.current.sendPacket(PING);
  }

  private wait(lane: HeartbeatLane<Session>): void {
    if (this.heartbeat !== lane) this.heartbeat?.delete(this);
    this.heartbeat = lane;
    lane.add(this);
  }

  // ---- close ---------------------------------------------------------------------------------

  close(reason: CloseReason = "forced close", description?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.established();
    this.heartbeat?.delete(this);
    this.heartbeat = undefined;
    this.upgrade?.abort(true);
    this.inbound = NO_PACKETS;
    if (this.current.close(reason)) this.host.sessionLingering(this);
    else this.host.sessionClosed(this);
    const onclose = this.onclose;
    const handler = this.handler;
    this.onmessage = undefined;
    this.onclose = undefined;
    this.onupgrade = undefined;
    this.handler = undefined;
    this.safely(() => (handler ? handler.onclose(reason, description) : onclose?.(reason, description)), "close handler");
  }

  private safely(body: () => void, context: string): void {
    try {
      body();
    } catch (error) {
      this.host.reportError(error, context);
    }
  }
}

