// Requests this node sent to the others and awaits answers to, by request id: each ends when the
// expected answers came in (a count, or named nodes under heartbeats), or fails after its timeout.

export type Pending = {
  /** Answers still expected. */
  remaining: number;
  /** The nodes still expected to answer, when known by id: answers from others are ignored, a node that goes is not awaited. */
  from?: Set<string>;
  /** Takes one answer; returns false when the answer is not one (ignored, not counted). */
  take(response: Record<string, unknown>): boolean;
  /** Called once all answers came in. */
  done(): void;
  /** Called at the timeout. */
  expire(): void;
};

export class PendingRequests {
  private readonly pending = new Map<string, { entry: Pending; timer: Timer }>();

  constructor(private readonly timeout: number) {}

  has(requestId: unknown): boolean {
    return typeof requestId === "string" && this.pending.has(requestId);
  }

  add(requestId: string, entry: Pending, timeout = this.timeout): void {
    const timer = setTimeout(() => {
      if (!this.pending.delete(requestId)) return;
      entry.expire();
    }, timeout);
    this.pending.set(requestId, { entry, timer });
  }

  /** Hands a response (from node `from`, when known) to its request; ends the request when it was the last one expected. */
  answer(requestId: string, response: Record<string, unknown>, from?: string): void {
    const found = this.pending.get(requestId);
    if (!found) return;
    const expected = found.entry.from;
    if (expected && (from === undefined || !expected.has(from))) return;
    if (!found.entry.take(response)) return;
    if (expected && from !== undefined) expected.delete(from);
    this.counted(requestId, found);
  }

  /** A node left the cluster: no request waits for its answer any more. */
  nodeGone(uid: string): void {
    for (const [requestId, found] of [...this.pending]) {
      if (!found.entry.from?.delete(uid)) continue;
      this.counted(requestId, found);
    }
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

  private counted(requestId: string, found: { entry: Pending; timer: Timer }): void {
    found.entry.remaining--;
    if (found.entry.remaining > 0) return;
    clearTimeout(found.timer);
    this.pending.delete(requestId);
    found.entry.done();
  }
}
