// Runs socket.io-style middlewares (`fn(…, next)`) in order, for namespaces (io.use) and packets
// (socket.use): next() goes on, next(error) stops with it, a second next() from one middleware is
// ignored, and a throw or a rejected promise is handed to `failed`, which says how the chain ends.

export type ChainStep<M> = (middleware: M, next: (error?: unknown) => void) => unknown;

/**
 * `done` runs once: with no error after the last middleware, or with the error one passed to next.
 * `failed` gets what a middleware threw or rejected with; the chain then ends with the Error it
 * returns, or silently when it returns undefined.
 */
export function runMiddlewareChain<M>(
  middlewares: readonly M[],
  step: ChainStep<M>,
  done: (error?: unknown) => void,
  failed: (error: unknown) => Error | undefined,
): void {
  const run = (index: number): void => {
    const middleware = middlewares[index];
    if (middleware === undefined) {
      done();
      return;
    }
    let called = false;
    const next = (error?: unknown) => {
      if (called) return;
      called = true;
      // Falsy means "go on", as in socket.io (next(null), next(false)).
      if (error) done(error);
      else run(index + 1);
    };
    const fail = (error: unknown) => {
      const ending = failed(error);
      // A middleware that called next before it failed has already decided how the chain goes on.
      if (called) return;
      called = true;
      if (ending) done(ending);
    };
    try {
      const result = step(middleware, next);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
  run(0);
}
