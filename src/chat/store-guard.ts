// Guards the stores (ports) against a database that cannot answer: a call fails at once with
// UnavailableError while the stores are known to be down, a call waiting when they are found down or
// with no answer by the deadline fails with it too, and so does one the store failed for want of a
// connection. Callers (the socket gateway, REST) then answer UNAVAILABLE quickly instead of waiting.
import { UnavailableError } from "./errors.ts";
import type { StoreHealth } from "./ports.ts";

export type StoreGuard = {
  health: StoreHealth;
  /** Longest a store call may go unanswered. */
  deadlineMs: number;
};

async function guarded<T>(call: () => Promise<T>, { health, deadlineMs }: StoreGuard): Promise<T> {
  if (!health.available()) throw new UnavailableError();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe = (): void => {};
  const abandoned = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      health.overdue();
      reject(new UnavailableError(undefined, { cause: new Error(`no answer from the store within ${deadlineMs} ms`) }));
    }, deadlineMs);
    unsubscribe = health.onOutage(() => reject(new UnavailableError(undefined, { cause: new Error("the store was found unreachable") })));
  });
  try {
    return await Promise.race([call(), abandoned]);
  } catch (error) {
    if (error instanceof UnavailableError || !health.isOutage(error)) throw error;
    throw new UnavailableError(undefined, { cause: error });
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

/** `store` with every method guarded; its other properties are left out (stores have none). */
export function guardStore<T extends object>(store: T, guard: StoreGuard): T {
  const wrapped: Record<string, unknown> = {};
  for (const key of Object.keys(store)) {
    const method: unknown = Reflect.get(store, key);
    if (typeof method !== "function") continue;
    wrapped[key] = (...args: unknown[]) => guarded(() => Promise.resolve(Reflect.apply(method, store, args)), guard);
  }
  return wrapped as T;
}
