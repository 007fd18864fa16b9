// The limit helpers in src/lib: failed attempts per key in a window (with bounded memory), a token
// bucket on a caller-owned state, and the client address behind trusted proxies.
import { describe, expect, test } from "bun:test";
import { createAttemptLimiter } from "../../src/lib/attempt-limiter.ts";
import { clientAddress, normalizeAddress } from "../../src/lib/client-address.ts";
import { tokenBucket } from "../../src/lib/token-bucket.ts";

describe("attempt limiter", () => {
  test("a key is blocked after max failures until its window ends; other keys are not", () => {
    let now = 1_000;
    const limiter = createAttemptLimiter({ max: 2, windowMs: 10_000, now: () => now });
    limiter.failed(["a"]);
    expect(limiter.blockedFor(["a"])).toBe(0);
    now += 4_000;
    limiter.failed(["a"]);
    expect(limiter.blockedFor(["a"])).toBe(6_000);
    expect(limiter.blockedFor(["b"])).toBe(0);
    expect(limiter.blockedFor(["b", "a"])).toBe(6_000);
    now += 6_000;
    expect(limiter.blockedFor(["a"])).toBe(0);
    limiter.failed(["a"]);
    expect(limiter.blockedFor(["a"])).toBe(0);
  });

  test("clear forgets a key; the oldest keys go first past maxKeys", () => {
    const limiter = createAttemptLimiter({ max: 1, windowMs: 60_000, maxKeys: 2, now: () => 0 });
    limiter.failed(["a"]);
    limiter.clear("a");
    expect(limiter.blockedFor(["a"])).toBe(0);
    limiter.failed(["x", "y", "z"]);
    expect(limiter.blockedFor(["x"])).toBe(0);
    expect(limiter.blockedFor(["y"])).toBe(60_000);
    expect(limiter.blockedFor(["z"])).toBe(60_000);
  });
});

describe("token bucket", () => {
  test("starts full, takes one per action, refills at the rate up to the burst", () => {
    const bucket = tokenBucket(2, 3);
    const state = bucket.create(0);
    expect([bucket.take(state, 0), bucket.take(state, 0), bucket.take(state, 0), bucket.take(state, 0)]).toEqual([true, true, true, false]);
    expect(bucket.take(state, 400)).toBe(false);
    expect(bucket.take(state, 500)).toBe(true);
    expect(bucket.take(state, 500)).toBe(false);
    // A long pause refills to the burst, not beyond.
    const taken = [0, 1, 2, 3].map(() => bucket.take(state, 60_000));
    expect(taken).toEqual([true, true, true, false]);
  });
});

describe("client address", () => {
  const trusted = new Set(["10.0.0.2", "::1"]);

  test("the socket's peer, whatever X-Forwarded-For says, unless the peer is a trusted proxy", () => {
    expect(clientAddress("203.0.113.7", "198.51.100.1", trusted)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:203.0.113.7", null, trusted)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", null, trusted)).toBe("10.0.0.2");
  });

  test("behind trusted proxies: the rightmost address no trusted proxy owns", () => {
    expect(clientAddress("10.0.0.2", "198.51.100.1, 203.0.113.7", trusted)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", "198.51.100.1, 203.0.113.7, ::1", trusted)).toBe("203.0.113.7");
    expect(clientAddress("::1", "10.0.0.2", trusted)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", " , ", trusted)).toBe("10.0.0.2");
  });

  test("addresses are compared in one spelling", () => {
    expect(normalizeAddress(" ::FFFF:192.0.2.1 ")).toBe("192.0.2.1");
    expect(normalizeAddress("2001:DB8::1")).toBe("2001:db8::1");
  });
});
