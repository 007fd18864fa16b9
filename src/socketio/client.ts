// One Engine.IO session seen by Socket.IO: decodes its packets, connects it to namespaces (with
// connectTimeout), routes packets to its sockets, and decides when a violation ends the session.
import type { EngineSession, MessageData } from "../engine/types.ts";
import { SioDecoder, SioPacketType, encodePacket, type SioPacket } from "./parser/index.ts";
import { reportHandlerError } from "./emitter.ts";
import type { Server } from "./server.ts";
import type { DisconnectReason, Socket } from "./socket.ts";
import type { EventsMap } from "./typed-events.ts";

type AnySocket = Socket<EventsMap, EventsMap, EventsMap, unknown>;

export class Client {
  /** Connected sockets by namespace name. */
  private readonly sockets = new Map<string, AnySocket>();
  /** Namespaces whose CONNECT is going through middleware now. */
  private readonly connecting = new Set<string>();
  private readonly decoder: SioDecoder;
  private connectTimer: Timer | undefined;
  private attachmentTimer: Timer | undefined;

  constructor(
    private readonly server: Server<EventsMap, EventsMap, EventsMap, unknown>,
    readonly conn: EngineSession,
  ) {
    this.decoder = new SioDecoder({ maxAttachments: server.options.maxAttachments });
    conn.onmessage = (data) => this.ondata(data);
    conn.onclose = (reason) => this.onclose(reason);
    // An engine session that never joins a namespace is closed: it would hold resources for nothing.
    this.connectTimer = setTimeout(closeIfIdle, server.options.connectTimeout, this);
  }

  /** connectTimeout: still no namespace joined (a middleware that never answers counts as none). */
  closeIfNeverConnected(): void {
    if (this.sockets.size === 0) this.conn.close("forced close");
  }

  /** attachmentTimeout: a binary packet is still missing attachments. */
  abandonPartialPacket(): void {
    this.attachmentTimer = undefined;
    if (this.decoder.pending) this.conn.close("parse error");
  }

  get id(): string {
    return this.conn.id;
  }

  write(messages: readonly MessageData[]): void {
    this.conn.send(...messages);
  }

  private ondata(data: MessageData): void {
    const decoded = this.decoder.add(data);
    if (!decoded.ok) {
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

  private onpacket(packet: SioPacket): void {
    if (packet.type === SioPacketType.CONNECT) {
      // Connecting twice to one namespace on one session is an invalid state: end the session.
      if (this.sockets.has(packet.nsp) || this.connecting.has(packet.nsp)) {
        this.conn.close("parse error");
        return;
      }
      this.connect(packet.nsp, packet.data ?? {});
      return;
    }
    const socket = this.sockets.get(packet.nsp);
    if (!socket) {
      // A packet for a namespace this session is not in: invalid state, as in the reference.
      this.conn.close("parse error");
      return;
    }
    socket.onpacket(packet);
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    this.connecting.add(name);
    this.server.resolveNamespace(name, auth, (nsp) => {
      if (this.conn.closed) return;
      if (!nsp) {
        this.connecting.delete(name);
        this.sendRaw({ type: SioPacketType.CONNECT_ERROR, nsp: name, data: { message: "Invalid namespace" } });
        return;
      }
      nsp.addClient(this, auth, (socket) => {
        this.connecting.delete(name);
        if (!socket) return;
        clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
        this.sockets.set(name, socket);
      });
    });
  }

  /** Writes a packet outside any socket (CONNECT_ERROR). Unencodable extra data is left out. */
  sendRaw(packet: SioPacket): void {
    let messages: (string | Uint8Array)[];
    try {
      messages = encodePacket(packet);
    } catch (error) {
      reportHandlerError(error, "encode CONNECT_ERROR data");
      if (packet.type !== SioPacketType.CONNECT_ERROR) return;
      messages = encodePacket({ ...packet, data: { message: packet.data.message } });
    }
    this.conn.send(...messages);
  }

  removeSocket(socket: AnySocket): void {
    if (this.sockets.get(socket.nsp.name) === socket) this.sockets.delete(socket.nsp.name);
  }

  /** `socket.disconnect(true)`: every namespace gets a DISCONNECT, then the session ends. */
  disconnectAll(): void {
    for (const socket of [...this.sockets.values()]) socket.disconnect();
    this.conn.close("forced close");
  }

  /** Ends the session with the given reason (server shutdown). */
  closeWith(reason: DisconnectReason): void {
    for (const socket of [...this.sockets.values()]) socket.onclose(reason);
    this.conn.close(reason === "server shutting down" ? "server shutting down" : "forced close");
  }

  private onclose(reason: DisconnectReason): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    clearTimeout(this.attachmentTimer);
    this.attachmentTimer = undefined;
    this.decoder.reset();
    for (const socket of [...this.sockets.values()]) socket.onclose(reason);
    this.sockets.clear();
    this.connecting.clear();
  }
}

function closeIfIdle(client: Client): void {
  client.closeIfNeverConnected();
}

function abandonPartialPacket(client: Client): void {
  client.abandonPartialPacket();
}
