// Which other nodes of a cluster are alive, by the last time each was heard from: a node silent for
// longer than the heartbeat timeout, or one that said goodbye, is dropped (and its answers no longer awaited).
// Also tells whether a node is known dead (connection state recovery takes its sessions over then).

/** Nodes dropped are remembered this long as dead (a session of theirs is taken over within the recovery window). */
const REMEMBERED_MS = 10 * 60_000;

export class NodeLiveness {
  private readonly lastSeen = new Map<string, number>();
  /** Nodes dropped, and when. */
  private readonly departed = new Map<string, number>();
  private readonly startedAt = Date.now();
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
    this.departed.set(uid, Date.now());
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

  /**
   * Whether node `uid` is known dead: dropped (heartbeat timeout, goodbye), or never heard from in a
   * whole timeout of listening. While it is counted alive this waits, up to the timeout, for it to be
   * dropped; a node alive all that time is not dead.
   */
  async knownDead(uid: string): Promise<boolean> {
    if (this.lastSeen.has(uid)) await this.whenGone(uid, this.timeoutMs * 2);
    if (this.lastSeen.has(uid)) return false;
    if (this.departed.has(uid)) return true;
    const listening = Date.now() - this.startedAt;
    if (listening < this.timeoutMs) await this.whenGone(uid, this.timeoutMs - listening, true);
    return !this.lastSeen.has(uid);
  }

  /** Resolves once `uid` is not counted (or, with `seen`, once it is), or after `timeout` ms. */
  private whenGone(uid: string, timeout: number, seen = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter = () => {
        if (this.lastSeen.has(uid) === seen) done();
      };
      const timer = setTimeout(done, timeout);
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
    for (const [uid, at] of this.departed) if (now - at > REMEMBERED_MS) this.departed.delete(uid);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
