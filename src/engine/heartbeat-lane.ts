// Heartbeat deadlines of many sessions on one timer. Every wait in a lane has the same length (the
// ping interval, or the pong timeout), so due times follow insertion order and an insertion-ordered
// Map is the whole queue: re-arming moves a session to the end, the timer waits for the first.
export class HeartbeatLane<T> {
  private readonly due = new Map<T, number>();
  private timer: Timer | undefined;

  constructor(
    readonly delayMs: number,
    /** Called for each member whose wait ended (it has left the lane). */
    private readonly onDue: (member: T) => void,
  ) {}

  get size(): number {
    return this.due.size;
  }

  /** Starts (or restarts) `member`'s wait of delayMs. */
  add(member: T): void {
    this.due.delete(member);
    this.due.set(member, performance.now() + this.delayMs);
    this.timer ??= setTimeout(this.fire, this.delayMs);
  }

  delete(member: T): void {
    if (!this.due.delete(member) || this.due.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    // Members added while this runs go to the end with a later due time, which stops the loop.
    for (const [member, at] of this.due) {
      if (at > now) {
        this.timer = setTimeout(this.fire, at - now);
        return;
      }
      this.due.delete(member);
      this.onDue(member);
    }
  };
}
