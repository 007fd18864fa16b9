// What the Postgres adapter needs of a Postgres client: NOTIFY, LISTEN on one dedicated connection
// that listens again after it drops, and plain statements. A postgres.js `Sql` fits as it is.

export type AttachmentRow = Record<string, unknown>;

export interface PostgresBusClient {
  /** LISTENs to a channel; `onListen` runs after every (re)LISTEN, so after a dropped connection too. */
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<{ unlisten(): Promise<unknown> }>;
  notify(channel: string, payload: string): PromiseLike<unknown>;
  /** A statement with $n parameters (the attachment table's DDL, inserts, reads and cleanup). */
  unsafe(query: string, parameters?: (string | number | Uint8Array)[]): PromiseLike<readonly AttachmentRow[]>;
}
