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

  // Created on first use: most sockets of a big server carry few listeners, many carry none.
  private eventListeners: Map<string, Listener[]> | undefined;

  protected addListener(event: string, listener: Listener, prepend = false): void {
    this.eventListeners ??= new Map();
    const list = this.eventListeners.get(event);
    if (!list) this.eventListeners.set(event, [listener]);
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
    if (!listener) {
      this.eventListeners?.delete(event);
      return;
    }
    const list = this.eventListeners?.get(event);
    if (!list) return;
    const index = list.findIndex((l) => l === listener || (l as { original?: Listener }).original === listener);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.eventListeners?.delete(event);
  }

  protected removeAll(event?: string): void {
    if (event === undefined) this.eventListeners = undefined;
    else this.eventListeners?.delete(event);
  }

  /** Calls every listener of `event`; returns whether there was any. */
  protected emitSafely(event: string, args: readonly unknown[]): boolean {
    const list = this.eventListeners?.get(event);
    if (!list || list.length === 0) return false;
    for (const listener of list.length === 1 ? list : [...list]) {
      invokeListener(listener, args, event, this);
    }
    return true;
  }

  listenerCount(event: string): number {
    return this.eventListeners?.get(event)?.length ?? 0;
  }

  listenersOf(event: string): readonly Listener[] {
    return this.eventListeners?.get(event) ?? [];
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
