// Counts work in flight across the process (events being handled, handshakes being checked), so a
// shutdown can wait until there is none.
export type Inflight = {
  /** Counts `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T>;
  enter(): void;
  leave(): void;
  readonly count: number;
  /** Resolves once nothing is in flight (work started meanwhile included). */
  idle(): Promise<void>;
};

export function createInflight(): Inflight {
  let count = 0;
  let waiters: (() => void)[] = [];
  const leave = (): void => {
    count--;
    if (count > 0) return;
    const ready = waiters;
    waiters = [];
    for (const wake of ready) wake();
  };
  return {
    track(work) {
      count++;
      void work.then(leave, leave);
      return work;
    },
    enter() {
      count++;
    },
    leave,
    get count() {
      return count;
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
