// Group commit: items submitted while a flush is running wait and go together in the next one, so
// a burst costs one round trip and one commit instead of one per item, while a lone item on an idle
// writer goes as soon as the event loop has read what else arrived with it (no timer). One flush
// runs at a time, in submit order.
export type GroupCommit<I, O> = {
  /** Resolves with this item's result once the flush that carried it has finished. */
  submit(item: I): Promise<O>;
  /** Items waiting or being flushed. */
  readonly pending: number;
  /** Resolves once nothing is waiting or being flushed. */
  idle(): Promise<void>;
};

export type GroupCommitOptions = {
  /** Upper bound of items per flush (a bound on statement size and on the latency of one flush). */
  maxBatch: number;
};

type Waiting<I, O> = { item: I; resolve: (result: O) => void; reject: (error: unknown) => void };

/**
 * `flush` gets the items of one batch in submit order and answers one result per item, in the same
 * order; when it throws, every item of that batch is rejected with the error.
 */
export function createGroupCommit<I, O>(flush: (items: I[]) => Promise<O[]>, { maxBatch }: GroupCommitOptions): GroupCommit<I, O> {
  let queue: Waiting<I, O>[] = [];
  let inFlight = 0;
  let running: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      // Let the event loop deliver the rest of what arrived (every socket read of this turn) first.
      // A flush that never waits for I/O (an in-process database) would otherwise carry one item
      // each time: nothing else can arrive while microtasks run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      inFlight = batch.length;
      try {
        const results = await flush(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as O);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
      inFlight = 0;
    }
    running = undefined;
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        running ??= drain();
      });
    },
    get pending() {
      return queue.length + inFlight;
    },
    async idle() {
      while (running) await running;
    },
  };
}
