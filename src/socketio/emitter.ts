// A small typed event emitter for the library's objects. Unlike Node's EventEmitter it never
// throws for an "error" event without listeners (CVE-2024-38355 came from exactly that), and a
// throwing listener is reported (to the Server's logger) instead of breaking the emit loop.

type Listener = (...args: never[]) => unknown;

/** Where a caught application error goes: the Server, which hands it to its logger. */
export interface ErrorReporter {
  reportError(error: unknown, context: string): void;
}

export abstract class SafeEmitter implements ErrorReporter {
  abstract reportError(error: unknown, context: string): void;

  // Created on first use: most sockets of a big server carry few listeners, many carry none. A
  // null-prototype record, not a Map: a Map of one event costs ~310 B against ~120 B (bun:jsc
  // heapStats), and records with the same event names share one shape. Removal stores undefined
  // instead of deleting, which would give each such socket a shape of its own.
  private eventListeners: Record<string, Listener[] | undefined> | undefined;

  protected addListener(event: string, listener: Listener, prepend = false): void {
    const listeners = (this.eventListeners ??= Object.create(null) as Record<string, Listener[] | undefined>);
    const list = listeners[event];
    if (!list) listeners[event] = [listener];
    else if (prepend) list.unshift(listener);
    else list.push(listener);
  }

  protected addOnceListener(event: string, listener: Listener): void {
    const wrapper = ((...args: never[]) => {
      this.removeListenerOf(event, wrapper);
      return listener(...args);
    }) as Listener & { original?: Listener };
    wrapper.original = listener;
    this.addListener(event, wrapper);
  }

  protected removeListenerOf(event: string, listener?: Listener): void {
    const listeners = this.eventListeners;
    if (!listeners) return;
    if (!listener) {
      listeners[event] = undefined;
      return;
    }
    const list = listeners[event];
    if (!list) return;
    const index = list.findIndex((l) => l === listener || (l as { original?: Listener }).original === listener);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) listeners[event] = undefined;
  }

  protected removeAll(event?: string): void {
    if (event === undefined) this.eventListeners = undefined;
    else if (this.eventListeners) this.eventListeners[event] = undefined;
  }

  /** Calls every listener of `event`; returns whether there was any. */
  protected emitSafely(event: string, args: readonly unknown[]): boolean {
    const list = this.eventListeners?.[event];
    if (!list || list.length === 0) return false;
    for (const listener of list.length === 1 ? list : [...list]) {
      invokeListener(listener, args, event, this);
    }
    return true;
  }

  listenerCount(event: string): number {
    return this.eventListeners?.[event]?.length ?? 0;
  }

  listenersOf(event: string): readonly Listener[] {
    return this.eventListeners?.[event] ?? [];
  }
}

/** Runs an application callback: a throw or a rejected promise is reported, never propagated. */
export function invokeListener(
  listener: (...args: never[]) => unknown,
  args: readonly unknown[],
  context: string,
  reporter: ErrorReporter,
): void {
  try {
    const result = (listener as (...a: readonly unknown[]) => unknown)(...args);
    if (result instanceof Promise) result.catch((error: unknown) => reporter.reportError(error, context));
  } catch (error) {
    reporter.reportError(error, context);
  }
}
