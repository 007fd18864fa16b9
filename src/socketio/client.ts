// One Engine.IO session seen by Socket.IO: picks its wire format and decodes its packets, connects it
// to namespaces (with connectTimeout), routes packets to its sockets, and decides when a violation ends it.
import type { CloseReason, EngineSession, MessageData, SessionHandler } from "../engine/types.ts";
import {
  SioPacketType,
  createDecoder,
  encodeFor,
  parserForFirstMessage,
  type PacketDecoder,
  type ParserName,
  type SioPacket,
} from "./parser/index.ts";
import type { Server } from "./server.ts";
import type { DisconnectReason } from "./disconnect-reason.ts";
import type { Socket } from "./socket.ts";
import type { EventsMap } from "./typed-events.ts";

type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;

export class Client implements SessionHandler {
  // Connected sockets by namespace name. Nearly every client is in one namespace: that one needs
  // no Map (memory per connection counts on a server holding many).
  private only: AnySocket | undefined;
  private byName: Map<string, AnySocket> | undefined;
  /** Namespaces whose CONNECT is going through middleware now. */
  private connecting: Set<string> | undefined;
  /** Made for the format of the first message: until then the format is not known. */
  private decoder: PacketDecoder | undefined;
  #parser: ParserName = "default";
  private connectTimer: Timer | undefined;
  private attachmentTimer: Timer | undefined;

  constructor(
    private readonly server: Server<EventsMap, EventsMap, EventsMap, unknown>,
    readonly conn: EngineSession,
  ) {
    conn.handler = this;
    // An engine session that never joins a namespace is closed: it would hold resources for nothing.
    this.connectTimer = setTimeout(closeIfIdle, server.options.connectTimeout, this);
  }

  /** connectTimeout: still no namespace joined (a middleware that never answers counts as none). */
  closeIfNeverConnected(): void {
    if (!this.only && !this.byName?.size) this.conn.close("forced close");
  }

  /** attachmentTimeout: a binary packet is still missing attachments. */
  abandonPartialPacket(): void {
    this.attachmentTimer = undefined;
    if (this.decoder?.pending) this.conn.close("parse error");
  }

  /** The wire format this session speaks (chosen by its first message; "default" until then). */
  get parser(): ParserName {
    return this.#parser;
  }

  get id(): string {
    return this.conn.id;
  }

  write(messages: readonly MessageData[]): void {
    this.conn.write(messages);
  }

  /** SessionHandler: one Engine.IO message. */
  onmessage(data: MessageData): void {
    const decoded = (this.decoder ??= this.startDecoding(data)).add(data);
    if (!decoded.ok) {
      const nsp = decoded.refusedConnect;
      if (nsp !== undefined && !this.socketOf(nsp) && !this.connecting?.has(nsp)) {
        // A CONNECT over the auth limits is answered: the client gets connect_error (and stops),
        // where a closed connection would make it reconnect with the same auth forever.
        this.server.connectRefusals.invalid_auth++;
        this.sendPacket({ type: SioPacketType.CONNECT_ERROR, nsp, data: { message: decoded.error } });
        return;
      }
      this.conn.close("parse error");
      return;
    }
    if (!decoded.value) {
      // A binary packet's attachments follow its header at once; one that never completes would
      // otherwise hold the decoder (and its buffers) for the life of the session.
      this.attachmentTimer ??= setTimeout(abandonPartialPacket, this.server.options.attachmentTimeout, this);
      return;
    }
    if (this.attachmentTimer) {
      clearTimeout(this.attachmentTimer);
      this.attachmentTimer = undefined;
    }
    this.onpacket(decoded.value);
  }

  private startDecoding(first: MessageData): PacketDecoder {
    this.#parser = parserForFirstMessage(first, this.server.options.parser);
    return createDecoder(this.#parser, {
      maxAttachments: this.server.options.maxAttachments,
      maxConnectPayload: this.server.options.maxAuthSize,
    });
  }

  private onpacket(packet: SioPacket): void {
    // Only servers send CONNECT_ERROR: from a client it is a protocol violation.
    if (packet.type === SioPacketType.CONNECT_ERROR) {
      this.conn.close("parse error");
      return;
    }
    if (packet.type === SioPacketType.CONNECT) {
      // Connecting twice to one namespace on one session is an invalid state: end the session.
      if (this.socketOf(packet.nsp) || this.connecting?.has(packet.nsp)) {
        this.conn.close("parse error");
        return;
      }
      this.connect(packet.nsp, packet.data ?? {});
      return;
    }
    const socket = this.socketOf(packet.nsp);
    if (!socket) {
      // A packet for a namespace this session is not in: invalid state, as in the reference.
      this.conn.close("parse error");
      return;
    }
    socket.onpacket(packet);
  }

  private socketOf(name: string): AnySocket | undefined {
    if (this.only) return this.only.nsp.name === name ? this.only : undefined;
    return this.byName?.get(name);
  }

  private sockets(): AnySocket[] {
    if (this.only) return [this.only];
    return this.byName ? [...this.byName.values()] : [];
  }

  private addSocket(socket: AnySocket): void {
    if (!this.only && !this.byName?.size) {
      this.only = socket;
      return;
    }
    this.byName ??= new Map();
    if (this.only) {
      this.byName.set(this.only.nsp.name, this.only);
      this.only = undefined;
    }
    this.byName.set(socket.nsp.name, socket);
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    (this.connecting ??= new Set()).add(name);
    this.server.resolveNamespace(name, auth, (nsp) => {
      if (this.conn.closed) return;
      if (!nsp) {
        this.connecting?.delete(name);
        if (this.connecting?.size === 0) this.connecting = undefined;
        this.server.connectRefusals.invalid_namespace++;
        this.sendPacket({ type: SioPacketType.CONNECT_ERROR, nsp: name, data: { message: "Invalid namespace" } });
        return;
      }
      nsp.addClient(this, auth, (socket) => {
        this.connecting?.delete(name);
        if (this.connecting?.size === 0) this.connecting = undefined;
        if (!socket) return;
        clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
        this.addSocket(socket);
        // A namespace accepted this client: it no longer counts as pending for its address.
        this.conn.established();
      });
    });
  }

  /**
   * Encodes and writes one packet. An unencodable payload is reported, never thrown into the app;
   * a CONNECT_ERROR whose extra data cannot be encoded still goes out with its message alone.
   */
  sendPacket(packet: SioPacket): void {
    let messages: (string | Uint8Array)[];
    try {
      messages = encodeFor(this.#parser, packet);
    } catch (error) {
      this.server.reportError(error, "encode");
      if (packet.type !== SioPacketType.CONNECT_ERROR) return;
      messages = encodeFor(this.#parser, { ...packet, data: { message: packet.data.message } });
    }
    this.conn.write(messages);
  }

  removeSocket(socket: AnySocket): void {
    if (this.only === socket) this.only = undefined;
    else if (this.byName?.get(socket.nsp.name) === socket) this.byName.delete(socket.nsp.name);
  }

  /** `socket.disconnect(true)`: every namespace gets a DISCONNECT, then the session ends. */
  disconnectAll(): void {
    for (const socket of this.sockets()) socket.disconnect();
    this.conn.close("forced close");
  }

  /** Ends the session with the given reason (server shutdown). */
  closeWith(reason: DisconnectReason): void {
    for (const socket of this.sockets()) socket.onclose(reason);
    this.conn.close(reason === "server shutting down" ? "server shutting down" : "forced close");
  }

  /** SessionHandler: the Engine.IO session ended; every socket on it disconnects with its reason. */
  onclose(reason: CloseReason): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    clearTimeout(this.attachmentTimer);
    this.attachmentTimer = undefined;
    this.decoder?.reset();
    for (const socket of this.sockets()) socket.onclose(reason);
    this.only = undefined;
    this.byName = undefined;
    this.connecting = undefined;
    this.server.clientClosed(this);
  }
}

function closeIfIdle(client: Client): void {
  client.closeIfNeverConnected();
}

function abandonPartialPacket(client: Client): void {
  client.abandonPartialPacket();
}
