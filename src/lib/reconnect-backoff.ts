// How long postgres.js waits before connecting again after a failed attempt. Its default grows as
// 3^n / 100 s up to 20 s, so after an outage of a few seconds a client waited up to 20 s more for a
// database that was back. Ours doubles from 50 ms to at most 1 s, with jitter so clients spread out.

/** Seconds to wait before attempt `attempt` (postgres.js' `backoff` option). */
export function reconnectBackoff(attempt: number): number {
  return Math.min(0.05 * 2 ** attempt, 1) * (0.5 + Math.random() / 2);
}
