// Group commit: items submitted while a flush is running wait and go together in the next one, so
// a burst costs one round trip and one commit instead of one per item, while a lone item on an idle
// writer goes as soon as the event loop has read what else arrived with it (no timer). Batches are
// cut in submit order and settle in that order; with maxInFlight > 1 the next batch may start once
// the one before it says its place in the order is fixed (`ordered`), so its commit overlaps the next.
export type GroupCommit<I, O> = {
  /** Resolves with this item's result once the flush that carried it, and every earlier one, settled. */
  submit(item: I): Promise<O>;
  /** Items waiting or being flushed. */
  readonly pending: number;
  /** Resolves once nothing is waiting or being flushed. */
  idle(): Promise<void>;
};

export type GroupCommitOptions = {
  /** Upper bound of items per flush (a bound on statement size and on the latency of one flush). */
  maxBatch: number;
  /** Flushes that may be unsettled at once (default 1: each waits for the one before to finish). */
  maxInFlight?: number;
};

/**
 * Writes one batch. `ordered` may be called once the batch's place in the store's order is fixed
 * (e.g. its ids are drawn; what is left is the write and its commit): the next batch may then start.
 * A flush that never calls it lets the next one start when it finishes.
 */
export type Flush<I, O> = (items: I[], ordered: () => void) => Promise<O[]>;

type Waiting<I, O> = { item: I; resolve: (result: O) => void; reject: (error: unknown) => void };

/**
 * `flush` gets the items of one batch in submit order and answers one result per item, in the same
 * order; when it throws, every item of that batch is rejected with the error.
 */
export function createGroupCommit<I, O>(flush: Flush<I, O>, { maxBatch, maxInFlight = 1 }: GroupCommitOptions): GroupCommit<I, O> {
  let queue: Waiting<I, O>[] = [];
  let inFlight = 0; // items of unsettled flushes
  let flushes = 0; // unsettled flushes
  let starting = false; // a flush has begun and not yet said `ordered` (nor finished): none may start
  let scheduled = false;
  // Settles after the last flush started: each flush settles its items only after the one before.
  let lastSettled: Promise<void> = Promise.resolve();
  let idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (scheduled || starting || queue.length === 0 || flushes >= maxInFlight) return;
    scheduled = true;
    // Let the event loop deliver the rest of what arrived (every socket read of this turn) first.
    // A flush that never waits for I/O (an in-process database) would otherwise carry one item
    // each time: nothing else can arrive while microtasks run.
    setImmediate(start);
  }

  function start(): void {
    scheduled = false;
    if (starting || queue.length === 0 || flushes >= maxInFlight) return;
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    starting = true;
    flushes++;
    inFlight += batch.length;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      starting = false;
      schedule();
    };
    const outcome = (async () => {
      try {
        const results = await flush(
          batch.map((w) => w.item),
          release,
        );
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
        return { ok: true as const, results };
      } catch (error) {
        return { ok: false as const, error };
      }
    })();
    const before = lastSettled;
    lastSettled = (async () => {
      const settled = await outcome;
      release();
      await before;
      if (settled.ok) for (let i = 0; i < batch.length; i++) batch[i]!.resolve(settled.results[i] as O);
      else for (const waiting of batch) waiting.reject(settled.error);
      flushes--;
      inFlight -= batch.length;
      schedule();
      if (flushes === 0 && queue.length === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    })();
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    get pending() {
      return queue.length + inFlight;
    },
    idle() {
      if (flushes === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
