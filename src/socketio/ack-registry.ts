// Acks of one socket. Outgoing: the callbacks waiting for the client's ACK by packet id, and the
// timers of those emitted with timeout(ms), which answer "operation has timed out" instead, even
// when the client is gone by then (as socket.io does): awaiting code never hangs. Incoming: the
// callback an event handler gets to answer the client's ack request.
import { invokeListener, type ErrorReporter } from "./emitter.ts";
import { SioPacketType, type SioPacket } from "./parser/index.ts";

export type AckFn = (...args: unknown[]) => void;

function timedOut(): Error {
  return new Error("operation has timed out");
}

function expire(ack: AckFn, reporter: ErrorReporter): void {
  invokeListener(ack, [timedOut()], "ack timeout", reporter);
}

/** A timed ack that no client can answer (closed socket, dropped packet): it times out all the same. */
export function expireLater(ack: AckFn, timeout: number, reporter: ErrorReporter): void {
  setTimeout(expire, timeout, ack, reporter);
}

export class AckRegistry {
  private readonly callbacks = new Map<number, AckFn>();
  // Only acks emitted with a timeout have one: most sockets never need this Map.
  private timers: Map<number, Timer> | undefined;

  constructor(private readonly reporter: ErrorReporter) {}

  /** Acks still waiting for the client's answer. */
  get size(): number {
    return this.callbacks.size;
  }

  /** Waits for the ACK of packet `id`. With a timeout the callback gets `(err, ...response)`. */
  register(id: number, ack: AckFn, timeout: number | undefined): void {
    this.callbacks.set(id, ack);
    if (timeout === undefined) return;
    (this.timers ??= new Map()).set(
      id,
      setTimeout(() => {
        this.timers?.delete(id);
        if (this.callbacks.delete(id)) expire(ack, this.reporter);
      }, timeout),
    );
  }

  /** Drops the callback of `id` without calling it (a broadcast settled without this receiver). */
  forget(id: number): void {
    this.callbacks.delete(id);
  }

  /** The client's ACK for `id`. Unknown or already answered ids are ignored, as by the reference. */
  settle(id: number, data: unknown[]): void {
    const ack = this.callbacks.get(id);
    if (!ack) return;
    this.callbacks.delete(id);
    const timer = this.timers?.get(id);
    if (timer) {
      clearTimeout(timer);
      this.timers?.delete(id);
      invokeListener(ack, [null, ...data], "ack", this.reporter);
    } else {
      invokeListener(ack, data, "ack", this.reporter);
    }
  }

  /**
   * The socket disconnected: no ACK can come any more. Acks with a timeout still answer with the
   * timeout error when it passes; the others could never be answered and are dropped.
   */
  close(): void {
    for (const id of this.callbacks.keys()) if (!this.timers?.has(id)) this.callbacks.delete(id);
  }
}

/** What answering a client's ack request needs of the socket. */
export interface AckSender {
  readonly connected: boolean;
  readonly nsp: { readonly name: string };
  sendPacket(packet: SioPacket): void;
}

/** The ack callback for the client's packet `id`: answers once, and only while connected. */
export function ackResponder(socket: AckSender, id: number): AckFn {
  let sent = false;
  return (...args: unknown[]) => {
    if (sent || !socket.connected) return;
    sent = true;
    socket.sendPacket({ type: SioPacketType.ACK, nsp: socket.nsp.name, id, data: args });
  };
}
