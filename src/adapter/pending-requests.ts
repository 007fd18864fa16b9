// Requests this node sent to the others and awaits answers to, by request id: each ends when the
// expected number of answers came in, or fails after the request timeout.

export type Pending = {
  /** Answers still expected. */
  remaining: number;
  /** Takes one answer; returns false when the answer is not one (ignored, not counted). */
  take(response: Record<string, unknown>): boolean;
  /** Called once all answers came in. */
  done(): void;
  /** Called at the timeout with how many answers were expected in all. */
  expire(): void;
};

export class PendingRequests {
  private readonly pending = new Map<string, { entry: Pending; timer: Timer }>();

  constructor(private readonly timeout: number) {}

  has(requestId: unknown): boolean {
    return typeof requestId === "string" && this.pending.has(requestId);
  }

  add(requestId: string, entry: Pending): void {
    const timer = setTimeout(() => {
      if (!this.pending.delete(requestId)) return;
      entry.expire();
    }, this.timeout);
    this.pending.set(requestId, { entry, timer });
  }

  /** Hands a response to its request; ends the request when it was the last one expected. */
  answer(requestId: string, response: Record<string, unknown>): void {
    const found = this.pending.get(requestId);
    if (!found || !found.entry.take(response)) return;
    found.entry.remaining--;
    if (found.entry.remaining > 0) return;
    clearTimeout(found.timer);
    this.pending.delete(requestId);
    found.entry.done();
  }

  /** Ends every request as failed (the adapter is closing: no answer can come in any more). */
  close(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const { entry, timer } of all) {
      clearTimeout(timer);
      entry.expire();
    }
  }
}
