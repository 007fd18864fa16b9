// One Engine.IO session: its transport (long-polling, then maybe WebSocket), the upgrade between
// them, the v4 heartbeat, bounded outbound buffering, inbound dispatch, and exactly one close.
import { readBodyLimited } from "./body.ts";
import { decodePacket, decodePayload, encodeFrame, encodePayload, type EnginePacket } from "./parser.ts";
import type {
  CloseReason,
  EngineOptions,
  EngineSession,
  HandshakeRequest,
  MessageData,
  SessionHandler,
  TransportName,
} from "./types.ts";

/** What the session needs of a WebSocket: Bun's ServerWebSocket fits it as is. */
export interface WsConnection {
  /** Bun semantics: bytes written (> 0), -1 queued under backpressure, 0 dropped. */
  send(frame: string | Uint8Array): number;
  cork(callback: () => void): unknown;
  close(code?: number, reason?: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, frame: string | Uint8Array): number;
}

/** What the session needs of the server that owns it. */
export interface SessionHost {
  readonly options: EngineOptions;
  sessionClosed(session: Session): void;
  /** Closed, but its last packets wait for one more GET (bounded by the host's own timer). */
  sessionLingering(session: Session): void;
  pollingSubscribe(session: Session, topic: string): void;
  pollingUnsubscribe(session: Session, topic: string): void;
  reportError(error: unknown, context: string): void;
}

type HeldPoll = { resolve: (response: Response) => void; headers: Record<string, string> };

// A POST with more packets than this is dispatched over several event-loop turns, so one big
// payload cannot stall every other connection.
const INBOUND_BATCH = 256;

/** Shared empty queue: replaced by a real array on the first push (never pushed to itself). */
const NO_PACKETS: EnginePacket[] = Object.freeze([]) as unknown as EnginePacket[];

const POLL_HEADERS = { "content-type": "text/plain; charset=UTF-8", "cache-control": "no-store" };
const OK_HEADERS = { "content-type": "text/html" };

/** Response headers: the constants themselves when there are no CORS headers to add (most requests). */
function withCors(cors: Record<string, string>, base: Record<string, string>): Record<string, string> {
  for (const _ in cors) return { ...cors, ...base };
  return base;
}

export class Session implements EngineSession {
  transport: TransportName;
  closed = false;
  onmessage: ((data: MessageData) => void) | undefined;
  onclose: ((reason: CloseReason, description?: string) => void) | undefined;
  onupgrade: (() => void) | undefined;
  handler: SessionHandler | undefined;

  private ws: WsConnection | undefined;
  private congested = false;
  private heldPoll: HeldPoll | undefined;
  // Created when the first packet waits: a WebSocket session never needs one.
  private outbox: EnginePacket[] = NO_PACKETS;
  private outboxBytes = 0;
  private posting = false;
  private inbound: EnginePacket[] = NO_PACKETS;
  private inboundNext = 0;
  private draining = false;
  private probe: WsConnection | undefined;
  private upgrading = false;
  private upgradeTimer: Timer | undefined;
  private heartbeat: Timer | undefined;
  private awaitingPong = false;
  private pongRefreshed = false;
  private topics: Set<string> | undefined;

  constructor(
    readonly id: string,
    readonly handshake: HandshakeRequest,
    private readonly host: SessionHost,
    ws?: WsConnection,
  ) {
    this.issued = Date.now();
    this.transport = ws ? "websocket" : "polling";
    this.ws = ws;
    this.schedulePing();
  }

  readonly issued: number;

  get writable(): boolean {
    if (this.closed) return false;
    if (this.transport === "websocket") return !this.congested;
    return this.heldPoll !== undefined && !this.upgrading;
  }

  /** The WebSocket to publish through when this session is on that transport, else undefined. */
  get websocket(): WsConnection | undefined {
    return this.transport === "websocket" ? this.ws : undefined;
  }

  get isUpgrading(): boolean {
    return this.probe !== undefined;
  }

  // ---- outbound ------------------------------------------------------------------------------

  send(...messages: MessageData[]): void {
    this.write(messages);
  }

  write(messages: readonly MessageData[]): void {
    if (this.closed || messages.length === 0) return;
    if (this.transport === "websocket") {
      this.writeFrames(messages);
      return;
    }
    if (this.outbox === NO_PACKETS) this.outbox = [];
    for (const data of messages) this.outbox.push({ type: "message", data });
    for (const data of messages) this.outboxBytes += typeof data === "string" ? data.length : data.byteLength;
    this.afterQueued();
  }

  private sendPacket(packet: EnginePacket): void {
    if (this.closed) return;
    if (this.transport === "websocket" && this.ws) {
      this.checkSent(this.ws.send(encodeFrame(packet)));
      return;
    }
    if (this.outbox === NO_PACKETS) this.outbox = [];
    this.outbox.push(packet);
    this.outboxBytes += 1;
    this.afterQueued();
  }

  private writeFrames(messages: readonly MessageData[]): void {
    const ws = this.ws;
    if (!ws) return;
    if (messages.length === 1) {
      const data = messages[0] as MessageData;
      this.checkSent(ws.send(typeof data === "string" ? `4${data}` : data));
      return;
    }
    // Several frames (a binary packet and its attachments, or a flush) leave in one write.
    let result = 1;
    ws.cork(() => {
      for (const data of messages) {
        const sent = ws.send(typeof data === "string" ? `4${data}` : data);
        if (sent <= 0 && result > 0) result = sent;
      }
    });
    this.checkSent(result);
  }

  private checkSent(result: number): void {
    if (result === -1) this.congested = true;
    // 0: Bun dropped the frame (over backpressureLimit). The stream has a hole now; end it.
    else if (result === 0 && !this.closed) this.close("transport error", "send buffer limit exceeded");
  }

  /** Bun's drain: the WebSocket's send buffer emptied below the limit again. */
  drained(): void {
    this.congested = false;
  }

  private afterQueued(): void {
    if (this.outboxBytes > this.host.options.backpressureLimit) {
      this.close("transport error", "polling buffer limit exceeded");
      return;
    }
    this.flushPoll();
  }

  private flushPoll(closing = false): void {
    const held = this.heldPoll;
    if (!held || (this.upgrading && !closing) || this.outbox.length === 0) return;
    this.heldPoll = undefined;
    const body = encodePayload(this.outbox);
    this.outbox = NO_PACKETS;
    this.outboxBytes = 0;
    held.resolve(new Response(body, { headers: held.headers }));
  }

  private answerHeldPoll(body: "1" | "6"): void {
    const held = this.heldPoll;
    if (!held) return;
    this.heldPoll = undefined;
    held.resolve(new Response(body, { headers: held.headers }));
  }

  // ---- long-polling requests ---------------------------------------------------------------

  /** A long-poll GET: answered at once when packets wait, else held until some arrive. */
  poll(signal: AbortSignal, cors: Record<string, string>): Response | Promise<Response> {
    const headers = withCors(cors, POLL_HEADERS);
    // Every GET during an upgrade gets a noop so the client can pause polling without waiting.
    if (this.upgrading) return new Response("6", { headers });
    if (this.heldPoll) {
      // Two GETs at once is a protocol violation: the held one learns of the close, the intruder is refused.
      this.close("transport error", "overlapping poll requests");
      return new Response(JSON.stringify({ code: 3, message: "Bad request" }), {
        status: 400,
        headers: { ...cors, "content-type": "application/json" },
      });
    }
    if (this.outbox.length > 0) {
      const body = encodePayload(this.outbox);
      this.outbox = NO_PACKETS;
      this.outboxBytes = 0;
      return new Response(body, { headers });
    }
    return new Promise<Response>((resolve) => {
      const held: HeldPoll = { resolve, headers };
      this.heldPoll = held;
      signal.addEventListener(
        "abort",
        () => {
          if (this.heldPoll !== held) return;
          this.heldPoll = undefined;
          resolve(new Response(null, { status: 499 }));
          this.close("transport error", "poll connection closed prematurely");
        },
        { once: true },
      );
    });
  }

  /** A POST carrying a payload of packets from the client. */
  async receive(request: Request, cors: Record<string, string>): Promise<Response> {
    const badRequest = () =>
      new Response(JSON.stringify({ code: 3, message: "Bad request" }), {
        status: 400,
        headers: { ...cors, "content-type": "application/json" },
      });
    if (request.headers.get("content-type")?.startsWith("application/octet-stream")) {
      this.close("transport error", "invalid content type");
      return badRequest();
    }
    if (this.posting) {
      this.close("transport error", "overlapping data requests");
      return badRequest();
    }
    this.posting = true;
    const body = await readBodyLimited(request, this.host.options.maxHttpBufferSize);
    this.posting = false;
    if (!body.ok) {
      if (body.reason === "too_large") {
        // The reference answers 413 and keeps the session: the client may retry smaller.
        return new Response("Payload Too Large", { status: 413, headers: cors });
      }
      this.close("transport error", "data request aborted");
      return badRequest();
    }
    if (this.closed) return badRequest();
    const decoded = decodePayload(body.text);
    if (!decoded.ok) {
      this.close("parse error", decoded.error);
      return badRequest();
    }
    this.dispatch(decoded.value);
    return new Response("ok", { headers: withCors(cors, OK_HEADERS) });
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

  /** The session's own WebSocket closed (client went away, or Bun closed it: too big, backpressure). */
  websocketClosed(ws: WsConnection, code: number): void {
    if (ws === this.probe) {
      this.abortUpgrade(false);
      return;
    }
    if (ws !== this.ws || this.closed) return;
    this.ws = undefined;
    // 1009: Bun refused a frame over maxPayloadLength, which the reference reports as a transport error.
    this.close(code === 1009 ? "transport error" : "transport close", `websocket closed (${code})`);
  }

  // ---- upgrade -------------------------------------------------------------------------------

  /** A WebSocket opened with this session's sid. False: not acceptable now (caller closes it). */
  attachProbe(ws: WsConnection): boolean {
    if (this.closed || this.transport === "websocket" || this.probe || !this.host.options.allowUpgrades) return false;
    this.probe = ws;
    this.upgradeTimer = setTimeout(() => this.abortUpgrade(true), this.host.options.upgradeTimeout);
    return true;
  }

  /** A frame on the WebSocket that is trying to take over: `2probe`, then `5`. */
  probeFrame(ws: WsConnection, frame: string | Uint8Array): void {
    if (ws !== this.probe) return;
    const decoded = decodePacket(frame);
    if (decoded.ok && decoded.value.type === "ping" && decoded.value.data === "probe" && !this.upgrading) {
      ws.send("3probe");
      this.upgrading = true;
      this.answerHeldPoll("6");
      return;
    }
    if (decoded.ok && decoded.value.type === "upgrade" && this.upgrading) {
      this.completeUpgrade(ws);
      return;
    }
    // Anything else before the upgrade completes aborts it (the reference does the same).
    this.abortUpgrade(true);
  }

  private completeUpgrade(ws: WsConnection): void {
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    this.probe = undefined;
    this.upgrading = false;
    this.answerHeldPoll("6");
    this.transport = "websocket";
    this.ws = ws;
    if (this.topics) {
      for (const topic of this.topics) {
        this.host.pollingUnsubscribe(this, topic);
        ws.subscribe(topic);
      }
      this.topics = undefined;
    }
    // What waited for the next poll goes out first, in order, before anything newer.
    const waiting = this.outbox;
    this.outbox = NO_PACKETS;
    this.outboxBytes = 0;
    if (waiting.length > 0) {
      ws.cork(() => {
        for (const packet of waiting) this.checkSent(ws.send(encodeFrame(packet)));
      });
    }
    this.safely(() => (this.handler ? this.handler.onupgrade?.() : this.onupgrade?.()), "upgrade handler");
  }

  private abortUpgrade(closeProbe: boolean): void {
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    const probe = this.probe;
    this.probe = undefined;
    this.upgrading = false;
    if (probe && closeProbe) probe.close(1000, "upgrade aborted");
    this.flushPoll();
  }

  // ---- topics --------------------------------------------------------------------------------

  subscribe(topic: string): void {
    if (this.closed) return;
    // On WebSocket, Bun keeps the subscriptions (and drops them with the socket): no copy here.
    if (this.transport === "websocket") {
      this.ws?.subscribe(topic);
      return;
    }
    this.topics ??= new Set();
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.host.pollingSubscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    if (this.transport === "websocket") {
      this.ws?.unsubscribe(topic);
      return;
    }
    if (this.topics?.delete(topic)) this.host.pollingUnsubscribe(this, topic);
  }

  // ---- inbound -------------------------------------------------------------------------------

  private dispatch(packets: EnginePacket[]): void {
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
    this.armTimer(pongOverdue, this.host.options.pingTimeout);
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
    this.armTimer(pingDue, this.host.options.pingInterval);
  }

  /** Heartbeat step: the ping is due (called through a shared function, not a per-session closure). */
  sendPing(): void {
    // The pong deadline runs from when the ping is queued, even if no poll is there to carry it.
    this.awaitingPong = true;
    this.pongRefreshed = false;
    this.armTimer(pongOverdue, this.host.options.pingTimeout);
    this.sendPacket({ type: "ping" });
  }

  private armTimer(callback: (session: Session) => void, ms: number): void {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(callback, ms, this);
  }

  // ---- close ---------------------------------------------------------------------------------

  close(reason: CloseReason = "forced close", description?: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    if (this.probe) this.abortUpgrade(true);
    this.inbound = NO_PACKETS;
    if (this.topics && this.transport === "polling") {
      for (const topic of this.topics) this.host.pollingUnsubscribe(this, topic);
    }
    this.topics = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) ws.close(1000, reason);
    // A server-side close still delivers what was sent before it (e.g. Socket.IO's DISCONNECT),
    // then the close packet, in a later poll than those packets: socket.io-client handles a close
    // packet at once but the packets before it a tick later, so in one payload the close would
    // overtake them. Without a poll waiting, the close waits for the next GET, as in the reference.
    const serverSide = reason === "forced close" || reason === "server shutting down";
    if (this.transport === "polling" && serverSide && (this.outbox.length > 0 || !this.heldPoll)) {
      if (this.heldPoll) this.flushPoll(true);
      this.host.sessionLingering(this);
    } else {
      this.outbox = NO_PACKETS;
      this.answerHeldPoll(reason === "transport close" ? "6" : "1");
      this.host.sessionClosed(this);
    }
    const onclose = this.onclose;
    const handler = this.handler;
    this.onmessage = undefined;
    this.onclose = undefined;
    this.onupgrade = undefined;
    this.handler = undefined;
    this.safely(() => (handler ? handler.onclose(reason, description) : onclose?.(reason, description)), "close handler");
  }

  /** A GET for a closed session that still owes its client its last packets, then a close packet. */
  finalPoll(cors: Record<string, string>): Response {
    const headers = withCors(cors, POLL_HEADERS);
    if (this.outbox.length > 0) {
      const body = encodePayload(this.outbox);
      this.outbox = NO_PACKETS;
      this.outboxBytes = 0;
      return new Response(body, { headers });
    }
    this.host.sessionClosed(this);
    return new Response("1", { headers });
  }

  private safely(body: () => void, context: string): void {
    try {
      body();
    } catch (error) {
      this.host.reportError(error, context);
    }
  }
}

// Shared timer callbacks: one function for every session instead of two closures per session.
function pingDue(session: Session): void {
  session.sendPing();
}
function pongOverdue(session: Session): void {
  session.close("ping timeout");
}
