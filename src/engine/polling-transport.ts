// HTTP long-polling for one session: the outbox and its byte bound, the held GET (answered once per
// tick with everything queued in it), POSTed payloads, topics kept in JS (polling clients are not
// Bun subscribers), pausing during an upgrade, and the last GET a closed session may still owe.
import { readBodyLimited } from "./body.ts";
import { decodePayload, encodePayload, type EnginePacket } from "./parser.ts";
import type { HttpPort } from "./server.ts";
import type { Session, SessionHost } from "./session.ts";
import type { Transport, WsConnection } from "./transport.ts";
import type { CloseReason, MessageData } from "./types.ts";

type HeldPoll = { resolve: (response: Response) => void; headers: Record<string, string> };

/** Shared empty queue: replaced by a real array on the first push (never pushed to itself). */
const NO_PACKETS: EnginePacket[] = Object.freeze([]) as unknown as EnginePacket[];

const POLL_HEADERS = { "content-type": "text/plain; charset=UTF-8", "cache-control": "no-store" };
const OK_HEADERS = { "content-type": "text/html" };

/** Response headers: the constants themselves when there are no CORS headers to add (most requests). */
function withCors(cors: Record<string, string>, base: Record<string, string>): Record<string, string> {
  for (const _ in cors) return { ...cors, ...base };
  return base;
}

function badRequest(cors: Record<string, string>): Response {
  return new Response(JSON.stringify({ code: 3, message: "Bad request" }), {
    status: 400,
    headers: { ...cors, "content-type": "application/json" },
  });
}

export class PollingTransport implements Transport {
  readonly name = "polling";
  readonly websocket: WsConnection | undefined = undefined;
  readonly port: HttpPort | undefined = undefined;

  private heldPoll: HeldPoll | undefined;
  // Created when the first packet waits.
  private outbox: EnginePacket[] = NO_PACKETS;
  private outboxBytes = 0;
  private posting = false;
  /** A held GET will be answered at the end of this tick, with everything queued until then. */
  private flushScheduled = false;
  /** An upgrade is probing: every GET gets a noop and nothing is flushed until it ends. */
  private paused = false;
  private topics: Set<string> | undefined;

  constructor(
    private readonly session: Session,
    private readonly host: SessionHost,
  ) {}

  /** False as soon as the held GET's answer is decided (as in the reference, where sending ends writability). */
  get writable(): boolean {
    return this.heldPoll !== undefined && !this.paused && !this.flushScheduled;
  }

  // ---- outbound ------------------------------------------------------------------------------

  write(messages: readonly MessageData[]): void {
    if (this.outbox === NO_PACKETS) this.outbox = [];
    for (const data of messages) this.outbox.push({ type: "message", data });
    // UTF-8 bytes, as on the wire: a string's length counts UTF-16 units (up to 3× fewer).
    for (const data of messages) this.outboxBytes += typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.byteLength;
    this.afterQueued();
  }

  sendPacket(packet: EnginePacket): void {
    if (this.outbox === NO_PACKETS) this.outbox = [];
    this.outbox.push(packet);
    this.outboxBytes += 1;
    this.afterQueued();
  }

  drained(): void {}

  peerClosed(_ws: WsConnection): boolean {
    return false;
  }

  private afterQueued(): void {
    if (this.outboxBytes > this.host.options.backpressureLimit) {
      this.session.close("transport error", "polling buffer limit exceeded");
      return;
    }
    this.scheduleFlush();
  }

  /**
   * Answers the held GET at the end of the current tick rather than at the first packet: what the
   * same handler or broadcast queues next (an ack and an event, several rooms' messages) travels in
   * that answer instead of costing the client one more request each.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || !this.heldPoll || this.paused) return;
    this.flushScheduled = true;
    queueMicrotask(this.scheduledFlush);
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(closing = false): void {
    const held = this.heldPoll;
    if (!held || (this.paused && !closing) || this.outbox.length === 0) return;
    this.heldPoll = undefined;
    held.resolve(new Response(this.takeOutbox(), { headers: held.headers }));
  }

  private takeOutbox(): string {
    const body = encodePayload(this.outbox);
    this.outbox = NO_PACKETS;
    this.outboxBytes = 0;
    return body;
  }

  private answerHeldPoll(body: "1" | "6"): void {
    const held = this.heldPoll;
    if (!held) return;
    this.heldPoll = undefined;
    held.resolve(new Response(body, { headers: held.headers }));
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A long-poll GET: answered at once when packets wait, else held until some arrive. */
  poll(request: Request, http: HttpPort, cors: Record<string, string>): Response | Promise<Response> {
    const headers = withCors(cors, POLL_HEADERS);
    // Every GET during an upgrade gets a noop so the client can pause polling without waiting.
    if (this.paused) return new Response("6", { headers });
    if (this.heldPoll) {
      // Two GETs at once is a protocol violation: the held one learns of the close, the intruder is refused.
      this.session.close("transport error", "overlapping poll requests");
      return badRequest(cors);
    }
    if (this.outbox.length > 0) return new Response(this.takeOutbox(), { headers });
    // Only a GET that is held needs the abort signal and no idle timeout: Bun creates the signal
    // on first access, which a GET answered at once (the usual case under load) never pays.
    http.disableTimeout(request);
    const signal = request.signal;
    return new Promise<Response>((resolve) => {
      const held: HeldPoll = { resolve, headers };
      this.heldPoll = held;
      signal.addEventListener(
        "abort",
        () => {
          if (this.heldPoll !== held) return;
          this.heldPoll = undefined;
          resolve(new Response(null, { status: 499 }));
          this.session.close("transport error", "poll connection closed prematurely");
        },
        { once: true },
      );
    });
  }

  /** A POST carrying a payload of packets from the client. */
  async receive(request: Request, cors: Record<string, string>): Promise<Response> {
    if (request.headers.get("content-type")?.startsWith("application/octet-stream")) {
      this.session.close("transport error", "invalid content type");
      return badRequest(cors);
    }
    if (this.posting) {
      this.session.close("transport error", "overlapping data requests");
      return badRequest(cors);
    }
    this.posting = true;
    const body = await readBodyLimited(request, this.host.options.maxHttpBufferSize);
    this.posting = false;
    if (!body.ok) {
      if (body.reason === "too_large") {
        // The reference answers 413 and keeps the session: the client may retry smaller.
        return new Response("Payload Too Large", { status: 413, headers: cors });
      }
      this.session.close("transport error", "data request aborted");
      return badRequest(cors);
    }
    if (this.session.closed) return badRequest(cors);
    const decoded = decodePayload(body.text);
    if (!decoded.ok) {
      this.session.close("parse error", decoded.error);
      return badRequest(cors);
    }
    this.session.dispatch(decoded.value);
    return new Response("ok", { headers: withCors(cors, OK_HEADERS) });
  }

  /** A GET for a closed session that still owes its client its last packets, then a close packet. */
  finalPoll(cors: Record<string, string>): Response {
    const headers = withCors(cors, POLL_HEADERS);
    if (this.outbox.length > 0) return new Response(this.takeOutbox(), { headers });
    this.host.sessionClosed(this.session);
    return new Response("1", { headers });
  }

  // ---- upgrade -------------------------------------------------------------------------------

  /** The client probes a WebSocket: the held GET gets a noop, later ones too, until resume or handOver. */
  pause(): void {
    this.paused = true;
    this.answerHeldPoll("6");
  }

  /** The upgrade was abandoned: polling carries the session again. */
  resume(): void {
    this.paused = false;
    this.scheduleFlush();
  }

  /** The upgrade completed: what waited for the next poll (in order) and the topics, for the WebSocket. */
  handOver(): { waiting: readonly EnginePacket[]; topics: ReadonlySet<string> | undefined } {
    this.answerHeldPoll("6");
    const waiting = this.outbox;
    this.outbox = NO_PACKETS;
    this.outboxBytes = 0;
    const topics = this.topics;
    this.topics = undefined;
    if (topics) for (const topic of topics) this.host.pollingUnsubscribe(this.session, topic);
    return { waiting, topics };
  }

  // ---- topics --------------------------------------------------------------------------------

  subscribe(topic: string): void {
    this.topics ??= new Set();
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.host.pollingSubscribe(this.session, topic);
  }

  unsubscribe(topic: string): void {
    if (this.topics?.delete(topic)) this.host.pollingUnsubscribe(this.session, topic);
  }

  // ---- close ---------------------------------------------------------------------------------

  close(reason: CloseReason): boolean {
    if (this.topics) for (const topic of this.topics) this.host.pollingUnsubscribe(this.session, topic);
    this.topics = undefined;
    // A server-side close still delivers what was sent before it (e.g. Socket.IO's DISCONNECT),
    // then the close packet, in a later poll than those packets: socket.io-client handles a close
    // packet at once but the packets before it a tick later, so in one payload the close would
    // overtake them. Without a poll waiting, the close waits for the next GET, as in the reference.
    const serverSide = reason === "forced close" || reason === "server shutting down";
    if (serverSide && (this.outbox.length > 0 || !this.heldPoll)) {
      if (this.heldPoll) this.flush(true);
      return true;
    }
    this.outbox = NO_PACKETS;
    this.outboxBytes = 0;
    this.answerHeldPoll(reason === "transport close" ? "6" : "1");
    return false;
  }
}
