// One client's requests, started one after another in arrival order and answered in that order too.
// A request whose work is handed off (e.g. a write that group commit will carry) lets the next one
// start at once, so a client with many requests in flight waits one round trip for all of them.
export type Handoff<T> = {
  /** The handed-off work; the pipeline moves on as soon as it exists. */
  readonly work: Promise<T>;
  /** Runs in answer order once `work` has settled and every earlier request is answered. */
  readonly finish: (value: T) => unknown;
};

const HANDOFF = Symbol("handoff");
type Tagged<T> = Handoff<T> & { readonly [HANDOFF]: true };

/** Marks a start's result as handed off: see Handoff. */
export function handoff<T>(work: Promise<T>, finish: (value: T) => unknown): Handoff<T> {
  // Observed now, settled later in answer order: never an unhandled rejection meanwhile.
  work.catch(() => {});
  const tagged: Tagged<T> = { work, finish, [HANDOFF]: true };
  return tagged;
}

function isHandoff(value: unknown): value is Tagged<unknown> {
  return typeof value === "object" && value !== null && HANDOFF in value;
}

/** How a request ended: its value, or what it threw. */
export type Settlement = { ok: true; value: unknown } | { ok: false; error: unknown };

const noop = (): void => {};
const settle = (value: unknown): Settlement => ({ ok: true, value });
const fail = (error: unknown): Settlement => ({ ok: false, error });

/** Produces a request's settlement, run when its turn to be answered comes. */
type Produce = () => Promise<Settlement>;

// Runs a start; answers with what produces the settlement in answer order (a promise of that when
// the start itself is asynchronous and holds the pipeline).
function begin(start: () => unknown): Promise<Produce> | Produce {
  let result: unknown;
  try {
    result = start();
  } catch (error) {
    return () => Promise.resolve(fail(error));
  }
  if (isHandoff(result)) {
    const { work, finish } = result;
    return () => work.then(finish).then(settle, fail);
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown): Produce => () => Promise.resolve(settle(value)),
      (error: unknown): Produce => () => Promise.resolve(fail(error)),
    );
  }
  return () => Promise.resolve(settle(result));
}

/** A class, not closures: one is kept per connected client that sent anything. */
export class OrderedPipeline {
  /** Requests submitted and not yet answered. */
  pending = 0;
  // Tails of the two orders: the last start still running, and the last answer not yet given.
  private starting: Promise<void> | undefined;
  private answering: Promise<void> | undefined;

  /**
   * Starts `start` once every earlier start has finished (immediately when none is running). A
   * plain result, or a promise of one, holds the next start until it settles; a Handoff does not.
   * `answer` gets each request's settlement in submit order.
   */
  submit(start: () => unknown, answer: (settlement: Settlement) => void): void {
    this.pending++;
    const began = this.starting === undefined ? begin(start) : this.starting.then(() => begin(start));
    if (began instanceof Promise) {
      const done = began.then(noop, noop);
      this.starting = done;
      void done.then(() => {
        if (this.starting === done) this.starting = undefined;
      });
    }
    const respond = (produce: Produce): Promise<void> =>
      produce().then((settlement) => {
        this.pending--;
        answer(settlement);
      });
    const previous = this.answering;
    const answered: Promise<void> =
      previous === undefined ? (began instanceof Promise ? began.then(respond) : respond(began)) : previous.then(() => began).then(respond);
    const tail = answered.catch(noop);
    this.answering = tail;
    void tail.then(() => {
      if (this.answering === tail) this.answering = undefined;
    });
  }
}
