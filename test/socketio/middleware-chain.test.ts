// The middleware chain shared by io.use and socket.use: order, next(error), a second next ignored,
// throws and rejections handed to `failed`, which decides whether the chain ends with an error.
import { describe, expect, test } from "bun:test";
import { runMiddlewareChain, type ChainStep } from "../../src/socketio/middleware-chain.ts";

type Middleware = (next: (error?: unknown) => void) => unknown;
const step: ChainStep<Middleware> = (middleware, next) => middleware(next);

function run(middlewares: Middleware[], failedWith: Error | null = new Error("failed")) {
  const outcome: { done: unknown[]; failures: unknown[] } = { done: [], failures: [] };
  runMiddlewareChain(
    middlewares,
    step,
    (error) => outcome.done.push(error ?? "ok"),
    (error) => {
      outcome.failures.push(error);
      return failedWith ?? undefined;
    },
  );
  return outcome;
}

describe("runMiddlewareChain", () => {
  test("runs the middlewares in order, then done once; none at all is done at once", () => {
    const order: number[] = [];
    const outcome = run([1, 2, 3].map((n) => (next) => (order.push(n), next())));
    expect(order).toEqual([1, 2, 3]);
    expect(outcome.done).toEqual(["ok"]);
    expect(run([]).done).toEqual(["ok"]);
  });

  test("next(error) stops the chain with it; a falsy argument goes on; a second next is ignored", () => {
    const refused = new Error("no");
    const after: string[] = [];
    const outcome = run([(next) => next(null), (next) => next(false), (next) => (next(refused), next()), () => after.push("ran")]);
    expect(outcome.done).toEqual([refused]);
    expect(after).toEqual([]);
    const twice = run([(next) => (next(), next())]);
    expect(twice.done).toEqual(["ok"]);
  });

  test("a throw or a rejection goes to failed, which ends the chain with its error or silently", async () => {
    const boom = new Error("boom");
    const thrown = run([() => { throw boom; }]);
    expect(thrown.failures).toEqual([boom]);
    expect(thrown.done).toEqual([new Error("failed")]);
    expect(run([() => { throw boom; }], null).done).toEqual([]);

    const rejection = Promise.reject(boom);
    const rejected = run([() => rejection]);
    // The chain's own handler was attached first, so it has run once this one has.
    await rejection.catch(() => {});
    expect(rejected.failures).toEqual([boom]);
    expect(rejected.done).toEqual([new Error("failed")]);
  });

  test("a middleware that called next and then rejects is reported but does not end the chain again", async () => {
    const boom = new Error("late");
    const rejection = Promise.reject(boom);
    const outcome = run([(next) => { next(); return rejection; }]);
    await rejection.catch(() => {});
    expect(outcome.done).toEqual(["ok"]);
    expect(outcome.failures).toEqual([boom]);
  });
});
