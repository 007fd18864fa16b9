// Counts failed attempts per key (an account, a client address) in a fixed window: once a key has
// `max` failures, it is blocked until its window ends. Holds at most `maxKeys` keys, forgetting the
// oldest first, so a flood of distinct keys cannot grow memory without bound.
export type AttemptLimiterOptions = {
  /** Failures a key may have within one window. */
  max: number;
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
};

export type AttemptLimiter = {
  /** Milliseconds until the first blocked key is free again; 0 when none of `keys` is blocked. */
  blockedFor(keys: readonly string[]): number;
  failed(keys: readonly string[]): void;
  /** Forgets `key`'s failures (a successful sign-in clears its account's count). */
  clear(key: string): void;
};

type Window = { start: number; failures: number };

const DEFAULT_MAX_KEYS = 100_000;

export function createAttemptLimiter({ max, windowMs, maxKeys = DEFAULT_MAX_KEYS, now = Date.now }: AttemptLimiterOptions): AttemptLimiter {
  // Insertion order is age order: a key is re-inserted when its window restarts.
  const windows = new Map<string, Window>();

  const current = (key: string, at: number): Window | undefined => {
    const window = windows.get(key);
    if (window && at - window.start >= windowMs) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };

  return {
    blockedFor(keys) {
      const at = now();
      let wait = 0;
      for (const key of keys) {
        const window = current(key, at);
        if (window && window.failures >= max) wait = Math.max(wait, window.start + windowMs - at);
      }
      return wait;
    },
    failed(keys) {
      const at = now();
      for (const key of keys) {
        const window = current(key, at);
        if (window) window.failures++;
        else {
          windows.set(key, { start: at, failures: 1 });
          if (windows.size > maxKeys) windows.delete(windows.keys().next().value as string);
        }
      }
    },
    clear(key) {
      windows.delete(key);
    },
  };
}
