// Runs async tasks one after another per key (a socket, a user), so work that must stay in order
// (a client's events, a user's presence writes) never interleaves; `idle()` awaits everything queued.
export type KeyedSerialQueue = {
  /** Runs `task` after every task queued earlier under `key`; its result or rejection is returned. */
  run<T>(key: string, task: () => T | Promise<T>): Promise<T>;
  /** Resolves once no task is queued or running under any key (tasks queued meanwhile included). */
  idle(): Promise<void>;
  /** Keys with queued or running tasks. */
  readonly size: number;
  /** Tasks queued or running under `key`. */
  pending(key: string): number;
};

const ignore = (): void => {};

export function createKeyedSerialQueue(): KeyedSerialQueue {
  // Only the last task's settlement per key is kept; the entry goes once that one settles, so an
  // idle key costs nothing.
  const tails = new Map<string, Promise<void>>();
  const counts = new Map<string, number>();
  return {
    run(key, task) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const result = (tails.get(key) ?? Promise.resolve()).then(task);
      const tail = result.then(ignore, ignore);
      tails.set(key, tail);
      void tail.then(() => {
        const left = (counts.get(key) ?? 1) - 1;
        if (left === 0) counts.delete(key);
        else counts.set(key, left);
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    pending(key) {
      return counts.get(key) ?? 0;
    },
    async idle() {
      while (tails.size > 0) await Promise.all(tails.values());
    },
    get size() {
      return tails.size;
    },
  };
}
