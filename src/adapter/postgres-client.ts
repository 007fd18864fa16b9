// What the Postgres adapter needs of a Postgres client: NOTIFY, LISTEN on one dedicated connection
// that listens again after it drops, and plain statements. A postgres.js `Sql` fits as it is; a
// `notifier` (one connection of its own) lets the adapter pipeline its NOTIFYs.

export type AttachmentRow = Record<string, unknown>;

/**
 * NOTIFYs on one connection of their own, sent in call order without waiting for the answers to
 * the ones before (pipelined). The bus relies on this: a NOTIFY not answered when its connection
 * closes (`onClose`) never goes out on a later connection; it fails. A connection being opened is
 * the exception the bus allows for: it sends one at a time until a NOTIFY (or probe) was answered.
 */
export interface PostgresNotifier {
  notify(channel: string, payload: string): PromiseLike<unknown>;
  /** A statement on the same connection (connecting it again when it is closed): resolves once it answers. */
  probe(): PromiseLike<unknown>;
  /** Runs each time the connection closes (a refused connection attempt too); what it had not answered then never goes out. */
  onClose(listener: () => void): void;
}

export interface PostgresBusClient {
  /** LISTENs to a channel; `onListen` runs after every (re)LISTEN, so after a dropped connection too. */
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<{ unlisten(): Promise<unknown> }>;
  notify(channel: string, payload: string): PromiseLike<unknown>;
  /** A statement with $n parameters (the attachment table's DDL, inserts, reads and cleanup). */
  unsafe(query: string, parameters?: (string | number | Uint8Array)[]): PromiseLike<readonly AttachmentRow[]>;
  /**
   * When given, NOTIFYs go through it, pipelined. Without one they go through `notify` one at a
   * time: the NOTIFYs of a pool's different connections may arrive in any order.
   */
  readonly notifier?: PostgresNotifier;
}
