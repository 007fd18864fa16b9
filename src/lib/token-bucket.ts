// A token bucket: `rate` tokens a second up to `burst`, one taken per action. The state is two
// numbers on the caller's object, so one bucket per connection costs no closure and no timer.
export type BucketState = { tokens: number; refilledAt: number };

export type TokenBucket = {
  /** A full bucket, as of `now`. */
  create(now: number): BucketState;
  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(state: BucketState, now: number): boolean;
};

export function tokenBucket(rate: number, burst: number): TokenBucket {
  return {
    create: (now) => ({ tokens: burst, refilledAt: now }),
    take(state, now) {
      const elapsed = now - state.refilledAt;
      if (elapsed > 0) {
        state.tokens = Math.min(burst, state.tokens + (elapsed * rate) / 1000);
        state.refilledAt = now;
      }
      if (state.tokens < 1) return false;
      state.tokens -= 1;
      return true;
    },
  };
}
