// Promise helpers for tests. `expect(promise).rejects` is not used in this suite: bun test 1.4.5
// waits for such a promise in a loop that runs setImmediate callbacks and worker messages only about
// once a second, so a rejection that needs a few of them (group commit, the PGlite worker) times out.

/** What `promise` rejected with; fails the test when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
