// Guards the stores (ports) against a database that cannot answer: a call fails at once with
// UnavailableError while the stores are known to be down, a call waiting when they are found down or
// with no answer by the deadline fails with it too, and so does one the store failed for want of a
// connection. Callers (the socket gateway, REST) then answer UNAVAILABLE quickly instead of waiting.
import { UnavailableError } from "./errors.ts";
import type { StoreHealth } from "./ports.ts";

export type StoreGuardOptions = {
  health: StoreHealth;
  /** Longest a store call may go unanswered. */
  deadlineMs: number;
  /** Told when each store call starts and how long it took (an app's metrics); none unless given. */
  observer?: StoreCallObserver;
};

export interface StoreCallObserver {
  started(): void;
  /** `operation` is "<store>.<method>"; `seconds` until the store answered (or failed). */
  finished(operation: string, seconds: number): void;
}

export type StoreGuard = {
  /** `store` with every method guarded; its other properties are left out (stores have none). `name` labels its calls. */
  guard<T extends object>(store: T, name?: string): T;
};

type Waiting = { at: number; fail: (error: UnavailableError) => void };

export function createStoreGuard({ health, deadlineMs, observer }: StoreGuardOptions): StoreGuard {
  // Calls waiting on a store, in the order they started: with one deadline for all, that is also
  // the order they fall due, so one timer for the first serves them all (a timer per call cost
  // more than the rest of the guard).
  const waiting = new Set<Waiting>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const arm = (): void => {
    if (timer !== undefined) return;
    const first = waiting.values().next().value;
    if (first === undefined) return;
    timer = setTimeout(expire, Math.max(0, first.at - Date.now()));
    // The calls keep the process alive, not their deadline.
    timer.unref();
  };

  function expire(): void {
    timer = undefined;
    const now = Date.now();
    let overdue = false;
    for (const call of waiting) {
      if (call.at > now) break;
      waiting.delete(call);
      call.fail(new UnavailableError(undefined, { cause: new Error(`no answer from the store within ${deadlineMs} ms`) }));
      overdue = true;
    }
    if (overdue) health.overdue();
    arm();
  }

  health.onOutage(() => {
    const failed = [...waiting];
    waiting.clear();
    for (const call of failed) call.fail(new UnavailableError(undefined, { cause: new Error("the store was found unreachable") }));
  });

  /** A guarded method whose calls are timed from start to the store's own answer. */
  function observedMethod(call: (args: unknown[]) => Promise<unknown>, operation: string, watcher: StoreCallObserver) {
    return (...args: unknown[]) =>
      guarded(() => {
        const started = performance.now();
        watcher.started();
        const done = () => watcher.finished(operation, (performance.now() - started) / 1000);
        let answer: Promise<unknown>;
        try {
          answer = call(args);
        } catch (error) {
          done();
          throw error;
        }
        answer.then(done, done);
        return answer;
      });
  }

  function guarded<T>(call: () => Promise<T>): Promise<T> {
    if (!health.available()) return Promise.reject(new UnavailableError());
    return new Promise<T>((resolve, reject) => {
      // Failed by the deadline or an outage first, the call's own answer is then ignored.
      const entry: Waiting = { at: Date.now() + deadlineMs, fail: reject };
      waiting.add(entry);
      arm();
      call().then(
        (value) => {
          waiting.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          waiting.delete(entry);
          reject(error instanceof UnavailableError || !health.isOutage(error) ? error : new UnavailableError(undefined, { cause: error }));
        },
      );
    });
  }

  return {
    guard<T extends object>(store: T, name = "store"): T {
      const wrapped: Record<string, unknown> = {};
      for (const key of Object.keys(store)) {
        const method: unknown = Reflect.get(store, key);
        if (typeof method !== "function") continue;
        const call = (args: unknown[]) => Promise.resolve(Reflect.apply(method, store, args));
        wrapped[key] = observer ? observedMethod(call, `${name}.${key}`, observer) : (...args: unknown[]) => guarded(() => call(args));
      }
      return wrapped as T;
    },
  };
}
