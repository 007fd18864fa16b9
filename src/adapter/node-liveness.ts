// Which other nodes of a cluster are alive, by the last time each was heard from: a node silent for
// longer than the heartbeat timeout, or one that said goodbye, is dropped (and its answers no longer awaited).

export class NodeLiveness {
  private readonly lastSeen = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly sweeper: Timer;

  constructor(
    private readonly timeoutMs: number,
    private readonly onGone: (uid: string) => void,
  ) {
    // Checked several times per timeout, at most once a second (socket.io's pace): dropped within timeout + one check.
    this.sweeper = setInterval(() => this.sweep(), Math.max(20, Math.min(1000, Math.floor(timeoutMs / 4))));
    this.sweeper.unref();
  }

  /** A message from this node arrived. */
  seen(uid: string): void {
    const known = this.lastSeen.has(uid);
    this.lastSeen.set(uid, Date.now());
    if (!known) this.changed();
  }

  remove(uid: string): void {
    if (!this.lastSeen.delete(uid)) return;
    this.onGone(uid);
    this.changed();
  }

  /** The other nodes alive now. */
  get uids(): string[] {
    return [...this.lastSeen.keys()];
  }

  get count(): number {
    return this.lastSeen.size;
  }

  /** Resolves once `check` holds for the set of nodes (tests and start-up wait on it instead of sleeping). */
  when(check: (count: number) => boolean): Promise<void> {
    if (check(this.count)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        if (!check(this.count)) return;
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    this.lastSeen.clear();
    this.waiters.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [uid, seen] of this.lastSeen) if (now - seen > this.timeoutMs) this.remove(uid);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
