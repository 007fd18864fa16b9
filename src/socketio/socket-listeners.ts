// The listening side of a socket: named listeners (on/once/off), catch-all listeners (onAny,
// onAnyOutgoing), per-packet middleware (use), and running an inbound event through all of them.
import { invokeListener, SafeEmitter } from "./emitter.ts";
import type { DisconnectReason } from "./disconnect-reason.ts";
import { runMiddlewareChain } from "./middleware-chain.ts";
import type { DefaultEventsMap, EventNames, EventsMap } from "./typed-events.ts";

export type AnyListener = (event: string, ...args: unknown[]) => unknown;
export type PacketMiddleware = (packet: unknown[], next: (error?: Error) => void) => void;

export type SocketReservedEvents = {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (error: Error) => void;
};

type ListenerOf<ListenEvents extends EventsMap, Ev> = Ev extends keyof SocketReservedEvents
  ? SocketReservedEvents[Ev]
  : ListenEvents[Ev & keyof ListenEvents];

export abstract class SocketListeners<ListenEvents extends EventsMap = DefaultEventsMap> extends SafeEmitter {
  abstract connected: boolean;
  // Created on first use: a server holding many idle sockets pays for none of it.
  private middlewares: PacketMiddleware[] | undefined;
  private anyListeners: AnyListener[] | undefined;
  private anyOutgoingListeners: AnyListener[] | undefined;

  on<Ev extends EventNames<ListenEvents> | keyof SocketReservedEvents>(event: Ev, listener: ListenerOf<ListenEvents, Ev>): this {
    this.addListener(event, listener);
    return this;
  }

  once<Ev extends EventNames<ListenEvents> | keyof SocketReservedEvents>(event: Ev, listener: ListenerOf<ListenEvents, Ev>): this {
    this.addOnceListener(event, listener);
    return this;
  }

  off<Ev extends EventNames<ListenEvents> | keyof SocketReservedEvents>(event?: Ev, listener?: ListenerOf<ListenEvents, Ev>): this {
    if (event === undefined) this.removeAll();
    else this.removeListenerOf(event, listener);
    return this;
  }

  removeAllListeners(event?: string): this {
    this.removeAll(event);
    return this;
  }

  listeners(event: string): readonly ((...args: never[]) => unknown)[] {
    return this.listenersOf(event);
  }

  onAny(listener: AnyListener): this {
    (this.anyListeners ??= []).push(listener);
    return this;
  }

  prependAny(listener: AnyListener): this {
    (this.anyListeners ??= []).unshift(listener);
    return this;
  }

  offAny(listener?: AnyListener): this {
    if (!listener) this.anyListeners = undefined;
    else this.anyListeners = this.anyListeners?.filter((l) => l !== listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return [...(this.anyListeners ?? [])];
  }

  onAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).push(listener);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).unshift(listener);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    if (!listener) this.anyOutgoingListeners = undefined;
    else this.anyOutgoingListeners = this.anyOutgoingListeners?.filter((l) => l !== listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return [...(this.anyOutgoingListeners ?? [])];
  }

  /** Per-packet middleware: `socket.use(([event, ...args], next) => next())`. */
  use(fn: PacketMiddleware): this {
    (this.middlewares ??= []).push(fn);
    return this;
  }

  /** Tells onAnyOutgoing listeners about a packet this socket emits. */
  protected notifyOutgoing(data: unknown[]): void {
    if (!this.anyOutgoingListeners?.length) return;
    for (const listener of [...this.anyOutgoingListeners]) invokeListener(listener, data, "onAnyOutgoing", this);
  }

  /** An inbound event (`[name, ...args, ack?]`): catch-all listeners, then middlewares, then handlers. */
  protected receiveEvent(args: unknown[]): void {
    if (this.anyListeners?.length) {
      for (const listener of [...this.anyListeners]) invokeListener(listener, args, "onAny", this);
    }
    if (this.middlewares?.length) this.runMiddlewares(this.middlewares, args, () => this.dispatch(args));
    else this.dispatch(args);
  }

  private dispatch(args: unknown[]): void {
    if (!this.connected) return;
    const event = String(args[0]);
    // "error" is reserved for the server's own errors (socket.use): a client cannot raise it.
    if (event === "error") return;
    this.emitSafely(event, args.slice(1));
  }

  private runMiddlewares(middlewares: readonly PacketMiddleware[], args: unknown[], done: () => void): void {
    runMiddlewareChain(
      middlewares,
      (middleware, next) => middleware(args, next),
      (error) => {
        if (error === undefined) return done();
        const reason = error instanceof Error ? error : new Error(String(error));
        if (!this.emitSafely("error", [reason])) this.reportError(reason, "socket.use");
      },
      (error) => {
        this.reportError(error, "socket.use");
        return undefined;
      },
    );
  }
}
