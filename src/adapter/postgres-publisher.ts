// The Postgres bus's outgoing side: documents go out in the order they were published, pipelined on
// the notifier's one connection, and keep that order across a dropped connection. From the first
// document that failed on, everything is lost: nothing more goes out until the connection answers
// again and the resumption listener's documents (this node's lost messages) went out first.
import type { PostgresNotifier } from "./postgres-client.ts";

/** A document as NOTIFY sends it: whole, or the header of its attachment row. */
export type Notification = { channel: string; payload: string };

export type PublisherOptions<D> = {
  notifier: PostgresNotifier;
  /** NOTIFYs unanswered at once, once one was answered on the current connection (1: one at a time). */
  window: number;
  /** A document's NOTIFY; a promise when it is stored in the attachment table first (nothing after it goes meanwhile). */
  prepare: (document: D) => Notification | Promise<Notification>;
  /** False at the first document that did not go out; true once the connection answers again. */
  onState: (publishing: boolean) => void;
};

/** After a probe that failed, the next one waits this long (documents published meanwhile wait for it). */
const PROBE_INTERVAL_MS = 200;

type Outgoing<D> = { document: D; resolve: () => void; reject: (error: unknown) => void };

export class OrderedPublisher<D> {
  /** Published, not handed to the notifier yet, in order (from `head`: a backlog is taken without shifting the array). */
  private waiting: Outgoing<D>[] = [];
  private head = 0;
  /** Handed to the notifier on its current connection and not answered yet. */
  private inFlight = 0;
  /** Counts the notifier's connections: an answer from an earlier one no longer counts as in flight. */
  private connection = 0;
  /** False from the first document that failed until a probe answers. */
  private publishing = true;
  /**
   * True once a NOTIFY (or probe) was answered on the notifier's current connection. Until then one
   * at a time: a connection being opened may fail, and what waited behind its first statement could
   * go out on the next one, ahead of that statement's document.
   */
  private connectionAnswered = false;
  /** An attachment row being stored, or a probe running: nothing is handed over meanwhile. */
  private busy = false;
  /** While the resumption listener runs: what it publishes, to go out before everything waiting. */
  private ahead: Outgoing<D>[] | undefined;
  private idle: (() => void)[] = [];
  private probeNotBefore = 0;
  private probeTimer: Timer | undefined;

  constructor(private readonly options: PublisherOptions<D>) {
    options.notifier.onClose(() => this.closed());
  }

  publish(document: D): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = { document, resolve, reject };
      if (this.ahead) this.ahead.push(entry);
      else {
        this.waiting.push(entry);
        this.pump();
      }
    });
  }

  /** Resolves once every document published so far went out or failed. */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private isIdle(): boolean {
    return this.waiting.length === this.head && this.inFlight === 0 && !this.busy;
  }

  private pump(): void {
    while (!this.busy && !this.ahead) {
      if (this.waiting.length === this.head) break;
      if (!this.publishing) {
        // Everything handed over on the connection that failed is answered first (all of it failed with it).
        if (this.inFlight === 0) this.probeWhenDue();
        return;
      }
      if (this.inFlight >= (this.connectionAnswered ? this.options.window : 1)) return;
      const entry = this.take();
      if (!entry) break;
      let notification: Notification | Promise<Notification>;
      try {
        notification = this.options.prepare(entry.document);
      } catch (error) {
        this.failed(entry, error);
        continue;
      }
      if (notification instanceof Promise) {
        this.busy = true;
        notification.then(
          (stored) => {
            this.busy = false;
            this.send(entry, stored);
            this.pump();
          },
          (error: unknown) => {
            this.busy = false;
            this.failed(entry, error);
            this.pump();
          },
        );
        return;
      }
      this.send(entry, notification);
    }
    if (this.isIdle()) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** The next document waiting, if any. */
  private take(): Outgoing<D> | undefined {
    const entry = this.waiting[this.head];
    if (entry === undefined) return undefined;
    this.head++;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  private send(entry: Outgoing<D>, { channel, payload }: Notification): void {
    const connection = this.connection;
    this.inFlight++;
    settle(
      () => this.options.notifier.notify(channel, payload),
      () => {
        if (connection !== this.connection) return entry.resolve();
        this.inFlight--;
        if (this.publishing) this.connectionAnswered = true;
        entry.resolve();
        this.pump();
      },
      (error) => {
        if (connection !== this.connection) return entry.reject(error);
        this.inFlight--;
        this.failed(entry, error);
        this.pump();
      },
    );
  }

  /**
   * The notifier's connection closed. What it had not answered is lost (the notifier never sends it
   * on a later connection): from the first of those on, nothing goes out before a probe answers.
   */
  private closed(): void {
    this.connectionAnswered = false;
    if (this.inFlight === 0) return;
    this.connection++;
    this.inFlight = 0;
    if (this.publishing) {
      this.publishing = false;
      this.options.onState(false);
    }
    // Not from within the notifier's close callback: its client is still closing that connection.
    queueMicrotask(() => this.pump());
  }

  private failed(entry: Outgoing<D>, error: unknown): void {
    entry.reject(error);
    if (!this.publishing) return;
    this.publishing = false;
    this.options.onState(false);
  }

  private probeWhenDue(): void {
    const wait = this.probeNotBefore - performance.now();
    if (wait <= 0) return this.probe();
    this.probeTimer ??= setTimeout(() => {
      this.probeTimer = undefined;
      this.pump();
    }, wait);
    // Documents waiting for the database must not keep the process alive.
    this.probeTimer.unref();
  }

  /** After a failure, with documents waiting: is the connection back? */
  private probe(): void {
    this.busy = true;
    settle(
      () => this.options.notifier.probe(),
      () => {
        this.connectionAnswered = true;
        this.publishing = true;
        const ahead: Outgoing<D>[] = [];
        this.ahead = ahead;
        try {
          this.options.onState(true);
        } finally {
          this.ahead = undefined;
        }
        this.waiting = [...ahead, ...this.waiting.slice(this.head)];
        this.head = 0;
        this.busy = false;
        this.pump();
      },
      (error) => {
        // Still down: what waits is lost too (the next document published asks again, not at once).
        this.probeNotBefore = performance.now() + PROBE_INTERVAL_MS;
        const lost = this.waiting.slice(this.head);
        this.waiting = [];
        this.head = 0;
        for (const entry of lost) entry.reject(error);
        this.busy = false;
        this.pump();
      },
    );
  }
}

/** Runs `start` and reports its outcome, a synchronous throw included. */
function settle(start: () => PromiseLike<unknown>, resolved: () => void, rejected: (error: unknown) => void): void {
  let answer: PromiseLike<unknown>;
  try {
    answer = start();
  } catch (error) {
    answer = Promise.reject(error);
  }
  answer.then(resolved, rejected);
}
