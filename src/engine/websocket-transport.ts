// WebSocket for one session: one packet per frame, several frames corked into one write, Bun's
// backpressure answers (congested, or dropped: the session ends), and native topic subscriptions.
import { encodeFrame, type EnginePacket } from "./parser.ts";
import type { HttpPort } from "./server.ts";
import type { Session } from "./session.ts";
import type { Transport, WsConnection } from "./transport.ts";
import type { CloseReason, MessageData } from "./types.ts";

export class WebSocketTransport implements Transport {
  readonly name = "websocket";
  private congested = false;
  /** False once Bun reported the socket closed, or the session closed it. */
  private open = true;

  constructor(
    private readonly ws: WsConnection,
    /** The HTTP server this WebSocket belongs to (its topics are that server's). */
    readonly port: HttpPort,
    private readonly session: Session,
  ) {}

  get writable(): boolean {
    return !this.congested;
  }

  /** Undefined once closed: publishing through a closed socket would reach nobody. */
  get websocket(): WsConnection | undefined {
    return this.open ? this.ws : undefined;
  }

  write(messages: readonly MessageData[]): void {
    const ws = this.ws;
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

  sendPacket(packet: EnginePacket): void {
    this.checkSent(this.ws.send(encodeFrame(packet)));
  }

  /** Packets that waited for a poll when the upgrade completed, in order, in one write. */
  sendAll(packets: readonly EnginePacket[]): void {
    if (packets.length === 0) return;
    const ws = this.ws;
    ws.cork(() => {
      for (const packet of packets) this.checkSent(ws.send(encodeFrame(packet)));
    });
  }

  private checkSent(result: number): void {
    if (result === -1) this.congested = true;
    // 0: Bun dropped the frame (over backpressureLimit). The stream has a hole now; end it.
    else if (result === 0 && !this.session.closed) this.session.close("transport error", "send buffer limit exceeded");
  }

  drained(): void {
    this.congested = false;
  }

  // On WebSocket, Bun keeps the subscriptions (and drops them with the socket): no copy here.
  subscribe(topic: string): void {
    if (this.open) this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.open) this.ws.unsubscribe(topic);
  }

  peerClosed(ws: WsConnection): boolean {
    if (ws !== this.ws || !this.open) return false;
    this.open = false;
    return true;
  }

  close(reason: CloseReason): boolean {
    if (this.open) {
      this.open = false;
      this.ws.close(1000, reason);
    }
    return false;
  }
}
