// The Engine.IO server: validates every request in the reference's order, opens sessions over
// polling or WebSocket, routes requests and frames to them; topic-fanout.ts fans broadcasts out.
// It never sees Bun directly: the binding (bun-binding.ts) adapts Bun.serve to HttpPort.
import { AddressLimits, type Admission } from "./address-limits.ts";
import { corsHeaders, preflightResponse } from "./cors.ts";
import { EngineErrorCode, engineErrorResponse as errorResponse, shuttingDown, tooManyHandshakes } from "./errors.ts";
import { handshakeOf } from "./handshake.ts";
import { HeartbeatLane } from "./heartbeat-lane.ts";
import { randomId } from "./ids.ts";
import { LivePorts } from "./live-ports.ts";
import { isValidOrigin, webSocketOriginAllowed } from "./origin.ts";
import { readEngineQuery } from "./query.ts";
import { Session, type SessionHost } from "./session.ts";
import { createEngineStats, REASON_OF_CODE, type EngineStats, type RefusalReason } from "./stats.ts";
import { TopicFanout } from "./topic-fanout.ts";
import type { WsConnection } from "./transport.ts";
import {
  resolveEngineOptions,
  type EngineHandler,
  type EngineOptions,
  type EngineSession,
  type HandshakeRequest,
  type MessageData,
} from "./types.ts";

/** What the server needs of the HTTP server under it. */
export interface HttpPort {
  /** Upgrades the request to a WebSocket carrying `data`; false when it is not a valid upgrade. */
  upgrade(request: Request, data: WsData): boolean;
  requestIP(request: Request): string | undefined;
  /** Lifts the idle timeout for one request: a long-poll is held for up to pingInterval. */
  disableTimeout(request: Request): void;
  /** Publishes one frame to every WebSocket subscribed to the topic. */
  publish(topic: string, frame: string | Uint8Array): void;
}

/** Per-WebSocket state, set at upgrade time and carried by Bun as `ws.data`. */
export type WsData =
  | { kind: "new"; handshake: HandshakeRequest; port: HttpPort; admission: Admission | undefined; session?: Session }
  | { kind: "upgrade"; session: Session; port: HttpPort }
  | { kind: "refused" };

const TRANSPORTS = new Set(["polling", "websocket"]);
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class EngineServer implements SessionHost {
  readonly options: EngineOptions;
  private readonly sessions = new Map<string, Session>();
  /** Closed polling sessions whose last packets (ending in a close packet) await one more GET. */
  private readonly lingering = new Map<string, { session: Session; timer: Timer }>();
  private readonly ports = new LivePorts();
  private readonly topics = new TopicFanout(this.ports);
  private closing = false;
  private readonly addressLimits: AddressLimits | undefined;
  /** Handshakes and refusals so far (read by an app's metrics). */
  readonly stats: EngineStats = createEngineStats();
  readonly heartbeats: SessionHost["heartbeats"];

  constructor(
    options: Partial<EngineOptions>,
    private readonly handler: EngineHandler,
  ) {
    this.options = resolveEngineOptions(options);
    const heartbeatDue = (session: Session) => {
      try {
        session.heartbeatDue();
      } catch (error) {
        this.reportError(error, "heartbeat");
      }
    };
    this.heartbeats = {
      ping: new HeartbeatLane(this.options.pingInterval, heartbeatDue),
      pong: new HeartbeatLane(this.options.pingTimeout, heartbeatDue),
    };
    this.addressLimits = this.options.addressLimits && new AddressLimits(this.options.addressLimits);
  }

  /** An error answer, counted under its reason (`origin`: the cross-site WebSocket check). */
  private refusal(code: EngineErrorCode, cors: Record<string, string>, message?: string, reason: RefusalReason = REASON_OF_CODE[code]): Response {
    this.stats.refusals[reason]++;
    return errorResponse(code, cors, message);
  }

  releaseAdmission(admission: Admission): void {
    this.addressLimits?.release(admission);
  }

  get clientsCount(): number {
    return this.sessions.size;
  }

  /** True when the path belongs to this engine (with or without the trailing slash). */
  matches(pathname: string): boolean {
    return pathname === this.options.path || pathname === this.options.path.slice(0, -1);
  }

  /** Handles an Engine.IO request; undefined after a successful WebSocket upgrade. */
  handleRequest(request: Request, http: HttpPort): Response | undefined | Promise<Response | undefined> {
    const requestOrigin = request.headers.get("origin");
    // A malformed Origin is refused below; until then it is treated as absent, so it is never echoed.
    const badOrigin = requestOrigin !== null && !isValidOrigin(requestOrigin);
    const origin = badOrigin ? null : requestOrigin;
    const cors = this.options.cors ? corsHeaders(this.options.cors, origin) : NO_HEADERS;
    if (request.method === "OPTIONS" && this.options.cors) return preflightResponse(this.options.cors, origin, request);

    const query = readEngineQuery(request.url);
    const transport = query.transport;
    // A Set of names, not an object lookup: `transport=__proto__` must be "unknown" (CVE-2023-31125).
    if (transport === null || !TRANSPORTS.has(transport) || !this.options.transports.includes(transport as "polling")) {
      return this.refusal(EngineErrorCode.UNKNOWN_TRANSPORT, cors);
    }
    if (badOrigin) return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
    if (transport === "websocket" && origin !== null && this.options.checkWebSocketOrigin) {
      if (!webSocketOriginAllowed(origin, request.headers.get("host"), this.options.cors)) {
        return this.refusal(EngineErrorCode.FORBIDDEN, cors, undefined, "origin");
      }
    }
    const isUpgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
    const sid = query.sid;
    if (sid !== null) {
      const session = this.sessions.get(sid);
      if (!session) {
        const last = this.lingering.get(sid);
        const owed = request.method === "GET" && transport === "polling" ? last?.session.polling : undefined;
        if (owed) return owed.finalPoll(cors);
        return this.refusal(EngineErrorCode.UNKNOWN_SID, cors);
      }
      if (query.eio !== "4") return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
      if (transport === "websocket") return this.upgradeExisting(request, http, session, isUpgrade, cors);
      const polling = session.polling;
      if (!polling) return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
      if (request.method === "GET") return polling.poll(request, http, cors);
      if (request.method === "POST") return polling.receive(request, cors);
      return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
    }

    if (request.method !== "GET") return this.refusal(EngineErrorCode.BAD_HANDSHAKE_METHOD, cors);
    if (transport === "websocket" && !isUpgrade) return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
    if (this.closing) {
      this.stats.refusals.shutting_down++;
      return shuttingDown(cors);
    }
    const address = this.options.addressOf(http.requestIP(request) ?? "", request);
    const admitted = this.addressLimits?.admit(address);
    if (typeof admitted === "number") {
      this.stats.refusals.address_limit++;
      return tooManyHandshakes(cors, admitted);
    }
    const handshake = handshakeOf(request, address);
    const refuse = (response: Response): Response => {
      if (admitted) this.addressLimits?.release(admitted);
      return response;
    };
    const open = () => {
      if (query.eio !== "4") return refuse(this.refusal(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, cors));
      if (transport === "websocket") {
        return http.upgrade(request, { kind: "new", handshake, port: http, admission: admitted })
          ? undefined
          : refuse(this.refusal(EngineErrorCode.BAD_REQUEST, cors));
      }
      return this.openPolling(handshake, cors, admitted);
    };
    const allowRequest = this.options.allowRequest;
    if (!allowRequest) return open();
    return new Promise<Response | undefined>((resolve) => {
      let answered = false;
      try {
        allowRequest(handshake, (error, success) => {
          if (answered) return;
          answered = true;
          resolve(success ? open() : refuse(this.refusal(EngineErrorCode.FORBIDDEN, cors, error || undefined)));
        });
      } catch (error) {
        this.reportError(error, "allowRequest");
        if (!answered) resolve(refuse(this.refusal(EngineErrorCode.FORBIDDEN, cors)));
        answered = true;
      }
    });
  }

  private openPolling(handshake: HandshakeRequest, cors: Record<string, string>, admission: Admission | undefined): Response {
    const session = new Session(randomId(), handshake, this);
    session.admission = admission;
    this.sessions.set(session.id, session);
    this.stats.handshakes.polling++;
    const body = this.openPacket(session.id, this.options.allowUpgrades && this.options.transports.includes("websocket"));
    this.announce(session);
    return new Response(body, {
      headers: { ...cors, "content-type": "text/plain; charset=UTF-8", "cache-control": "no-store" },
    });
  }

  private upgradeExisting(
    request: Request,
    http: HttpPort,
    session: Session,
    isUpgrade: boolean,
    cors: Record<string, string>,
  ): Response | undefined {
    if (!isUpgrade) return this.refusal(EngineErrorCode.BAD_REQUEST, cors);
    // A second WebSocket for a session that already has (or is getting) one is accepted and then
    // closed: answering 400 makes the Node client throw instead of just dropping it.
    const data: WsData =
      session.transport === "polling" && !session.isUpgrading && this.options.allowUpgrades
        ? { kind: "upgrade", session, port: http }
        : { kind: "refused" };
    return http.upgrade(request, data) ? undefined : this.refusal(EngineErrorCode.BAD_REQUEST, cors);
  }

  private openPacket(sid: string, upgradable: boolean): string {
    const { pingInterval, pingTimeout, maxHttpBufferSize } = this.options;
    const upgrades = upgradable ? ["websocket"] : [];
    return `0${JSON.stringify({ sid, upgrades, pingInterval, pingTimeout, maxPayload: maxHttpBufferSize })}`;
  }

  private announce(session: Session): void {
    try {
      this.handler.connection(session);
    } catch (error) {
      this.reportError(error, "connection handler");
    }
  }

  // ---- WebSocket events (called by the binding) ----------------------------------------------

  websocketOpened(ws: WsConnection, data: WsData): void {
    if (data.kind === "refused") {
      ws.close(1000, "session already has a websocket");
      return;
    }
    // Counted for every WebSocket Bun opened: Bun reports each one's close exactly once.
    this.ports.websocketOpened(data.port);
    if (data.kind === "upgrade") {
      if (!data.session.attachProbe(ws, data.port)) ws.close(1000, "upgrade not possible");
      return;
    }
    if (this.closing) {
      if (data.admission) this.addressLimits?.release(data.admission);
      ws.close(1001, "server shutting down");
      return;
    }
    const session = new Session(randomId(), data.handshake, this, ws, data.port);
    session.admission = data.admission;
    // The session holds the admission from here on (ws.data lives as long as the socket).
    data.admission = undefined;
    data.session = session;
    this.sessions.set(session.id, session);
    this.stats.handshakes.websocket++;
    ws.send(this.openPacket(session.id, false));
    this.announce(session);
  }

  websocketMessage(ws: WsConnection, data: WsData, frame: string | Uint8Array): void {
    if (data.kind === "upgrade") {
      if (data.session.websocket === ws) data.session.frame(frame);
      else data.session.probeFrame(ws, frame);
    } else if (data.kind === "new") {
      data.session?.frame(frame);
    }
  }

  websocketClosed(ws: WsConnection, data: WsData, code: number): void {
    if (data.kind === "refused") return;
    this.ports.websocketClosed(data.port);
    data.session?.websocketClosed(ws, code);
  }

  websocketDrained(data: WsData): void {
    if (data.kind === "upgrade" || data.kind === "new") data.session?.drained();
  }

  // ---- topics (topic-fanout.ts) --------------------------------------------------------------

  /** Sends messages to every session subscribed to the topic, except `except`. */
  publish(topic: string, messages: readonly MessageData[], except?: EngineSession): void {
    this.topics.publish(topic, messages, except);
  }

  pollingSubscribe(session: Session, topic: string): void {
    this.topics.subscribePolling(session, topic);
  }

  pollingUnsubscribe(session: Session, topic: string): void {
    this.topics.unsubscribePolling(session, topic);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  sessionClosed(session: Session): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    const last = this.lingering.get(session.id);
    if (last?.session === session) {
      clearTimeout(last.timer);
      this.lingering.delete(session.id);
    }
  }

  sessionLingering(session: Session): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    // A client that never polls again would otherwise pin the packets forever.
    const timer = setTimeout(() => this.sessionClosed(session), this.options.pingTimeout);
    timer.unref();
    this.lingering.set(session.id, { session, timer });
  }

  reportError(error: unknown, context: string): void {
    this.options.logger.error(`engine: error in ${context}`, { error });
  }

  /** Closes every session ("server shutting down") and refuses new ones. */
  close(): void {
    this.closing = true;
    for (const session of [...this.sessions.values()]) session.close("server shutting down");
  }
}
