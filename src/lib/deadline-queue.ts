// Deadlines for many objects on one timer: a binary min-heap ordered by due time, and one timer for
// the earliest. Thousands of sessions that each expire at their own time then cost one small entry
// each, not a timer and its closures each.
import { MAX_TIMER_DELAY_MS } from "./timers.ts";

/** A clock with timers (the shape of src/lib/timers.ts' systemTimers and manualTimers). */
export type Clock = { now(): number; schedule(task: () => void, delayMs: number): () => void };

export type Deadline<T> = { readonly at: number; readonly target: T; index: number };

export class DeadlineQueue<T> {
  private readonly heap: Deadline<T>[] = [];
  private cancelTimer: (() => void) | undefined;
  private armedFor = Infinity;
  private firing = false;

  constructor(
    private readonly clock: Clock,
    /** Called once for each deadline that falls due (not for removed ones). */
    private readonly onDue: (target: T) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `target` for `at` (ms since the epoch); a time already past falls due from the timer. */
  add(at: number, target: T): Deadline<T> {
    const deadline: Deadline<T> = { at, target, index: this.heap.length };
    this.heap.push(deadline);
    this.up(deadline.index);
    this.arm();
    return deadline;
  }

  /** Forgets a deadline that has not fallen due; removing one twice or after it fired is harmless. */
  remove(deadline: Deadline<T>): void {
    const index = deadline.index;
    if (index < 0 || this.heap[index] !== deadline) return;
    const last = this.heap.pop() as Deadline<T>;
    deadline.index = -1;
    if (last !== deadline) {
      this.heap[index] = last;
      last.index = index;
      this.down(index);
      this.up(index);
    }
    this.arm();
  }

  private fire = (): void => {
    this.cancelTimer = undefined;
    this.armedFor = Infinity;
    const now = this.clock.now();
    this.firing = true;
    try {
      for (let first = this.heap[0]; first !== undefined && first.at <= now; first = this.heap[0]) {
        this.remove(first);
        this.onDue(first.target);
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  };

  // One timer, for the earliest deadline; re-armed only when that changes.
  private arm(): void {
    if (this.firing) return;
    const first = this.heap[0];
    const at = first?.at ?? Infinity;
    if (at === this.armedFor) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedFor = at;
    if (first === undefined) return;
    // A timer cannot wait longer than MAX_TIMER_DELAY_MS: far deadlines wait in steps.
    this.cancelTimer = this.clock.schedule(this.fire, Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_DELAY_MS));
  }

  private up(index: number): void {
    const heap = this.heap;
    const item = heap[index] as Deadline<T>;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Deadline<T>;
      if (parent.at <= item.at) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.index = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const item = heap[index] as Deadline<T>;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Deadline<T>).at < (heap[left] as Deadline<T>).at ? right : left;
      const smaller = heap[child] as Deadline<T>;
      if (smaller.at >= item.at) break;
      heap[index] = smaller;
      smaller.index = index;
      index = child;
    }
    heap[index] = item;
    item.index = index;
  }
}
