// The Postgres side of the Postgres adapter, shared by the namespaces of one adapter factory:
// documents out by NOTIFY (or, when too big for NOTIFY or binary, as MessagePack rows of the
// attachment table with a NOTIFY header), documents in from LISTEN, and the table's upkeep.
import { encode as msgpackEncode } from "notepack.io-3";
import type { BusRecord } from "./cluster-protocol.ts";
import type { PostgresBusClient } from "./postgres-client.ts";
import { channelOf, decodeAttachment, decodeNotification, hasBinary, NOTIFY_PAYLOAD_LIMIT } from "./postgres-protocol.ts";

export type PostgresBusOptions = {
  channelPrefix: string;
  tableName: string;
  /** Documents whose JSON is longer (in bytes) go through the table; never more than Postgres takes (7999). */
  payloadThreshold: number;
  /** Attachment rows older than this many milliseconds are deleted, checked as often. */
  cleanupInterval: number;
  onError: (error: unknown, context: string) => void;
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `table` or `schema.table`, quoted; anything else is a programming error, refused at creation. */
function quotedTable(name: string): string {
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) throw new Error(`invalid attachment table name: ${JSON.stringify(name)}`);
  return parts.map((part) => `"${part}"`).join(".");
}

/** A table created by another node between our check and our CREATE: unique_violation on its type, or duplicate_table. */
const isCreateRace = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "code" in error && (error.code === "23505" || error.code === "42P07");

export class PostgresBus {
  /** Resolves once the attachment table exists (created when missing, with the official adapter's columns). */
  readonly ready: Promise<void>;
  private readonly table: string;
  private cleanupTimer: Timer | undefined;
  /** Settles once the last document published so far is handed to Postgres (sent, or answered without `notifiesInOrder`). */
  private sending = Promise.resolve();
  /** Settles once the last document published so far is answered. */
  private answered = Promise.resolve();
  private users = 0;

  constructor(
    private readonly client: PostgresBusClient,
    private readonly options: PostgresBusOptions,
  ) {
    this.table = quotedTable(options.tableName);
    const create = `CREATE TABLE IF NOT EXISTS ${this.table} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`;
    this.ready = Promise.resolve(client.unsafe(create)).then(
      () => undefined,
      (error: unknown) => {
        if (!isCreateRace(error)) throw error;
      },
    );
  }

  channel(namespace: string): string {
    return channelOf(this.options.channelPrefix, namespace);
  }

  /**
   * LISTENs to a namespace's channel. Documents of other senders reach `onDocument` in the order
   * their NOTIFYs came (an attachment is read before anything after it is handed on).
   */
  async listen(
    namespace: string,
    ownUid: string,
    onDocument: (document: BusRecord) => void,
    onListen: () => void,
    onOwnDocument: (document: BusRecord) => void = () => {},
  ): Promise<() => void> {
    let queue = Promise.resolve();
    let listening = true;
    const onNotify = (payload: string) => {
      queue = queue
        .then(() => this.receive(payload, ownUid, onOwnDocument))
        .then((document) => {
          if (document) onDocument(document);
        })
        .catch((error: unknown) => {
          // Once unlistened, a read cut short by the client's end is no loss.
          if (listening) this.options.onError(error, `notification on ${this.channel(namespace)}`);
        });
    };
    await this.ready;
    const { unlisten } = await this.client.listen(this.channel(namespace), onNotify, onListen);
    this.retain();
    return () => {
      if (!listening) return;
      listening = false;
      this.release();
      // Fails only when the connection is gone, and a closed connection listens to nothing.
      unlisten().catch(() => {});
    };
  }

  /**
   * Sends a document (it carries `nsp`) to every node listening to its namespace, in publish order:
   * a join must reach the other nodes before the broadcast to the room that follows it. NOTIFYs of a
   * pool's different connections may arrive in any order, so on a pool they go one at a time (a
   * round trip each: under load the queue, not the CPU, set the cross-node latency); on a client
   * with `notifiesInOrder` each goes as soon as the one before it is handed over.
   */
  publish(document: BusRecord & { nsp: string }): Promise<void> {
    const handedOver = this.sending.then(() => this.send(document));
    this.sending = handedOver.then(
      () => {},
      () => {},
    );
    const answered = handedOver.then((sent) => sent.answered);
    this.answered = answered.catch(() => {});
    return answered;
  }

  /** Resolves once every document handed to publish so far went out (or failed): call before ending the client. */
  drained(): Promise<void> {
    return this.sending.then(() => this.answered);
  }

  /** Hands a document to Postgres; resolves (with its answer still to come when NOTIFYs are pipelined) once the next one may go. */
  private async send(document: BusRecord & { nsp: string }): Promise<{ answered: Promise<void> }> {
    const channel = this.channel(document.nsp);
    const json = hasBinary(document) ? undefined : JSON.stringify(document);
    if (json !== undefined) {
      const bytes = Buffer.byteLength(json);
      if (bytes <= this.options.payloadThreshold && bytes < NOTIFY_PAYLOAD_LIMIT) return this.notify(channel, json);
    }
    await this.ready;
    const rows = await this.client.unsafe(`INSERT INTO ${this.table} (payload) VALUES ($1) RETURNING id`, [msgpackEncode(document)]);
    const id = rows[0]?.id;
    if (typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") throw new Error("attachment insert returned no id");
    return this.notify(channel, JSON.stringify({ uid: document.uid, type: document.type, attachmentId: String(id) }));
  }

  private async notify(channel: string, payload: string): Promise<{ answered: Promise<void> }> {
    // `then` is called here, synchronously: a postgres.js query is sent when it is first asked for its result.
    const answered = new Promise<void>((resolve, reject) => {
      this.client.notify(channel, payload).then(() => resolve(), reject);
    });
    if (!this.client.notifiesInOrder) await answered;
    return { answered };
  }

  private async receive(payload: string, ownUid: string, onOwnDocument: (document: BusRecord) => void): Promise<BusRecord | undefined> {
    const notification = decodeNotification(payload);
    if (!notification.ok) return undefined;
    const value = notification.value;
    // Our own documents come back: this node acted on them when it sent them (and reads no row for
    // them); it is only told, in order, where they came (a restore request marks a point in the stream).
    if (value.kind === "document") {
      if (value.document.uid !== ownUid) return value.document;
      onOwnDocument(value.document);
      return undefined;
    }
    if (value.uid === ownUid) return undefined;
    const rows = await this.client.unsafe(`SELECT payload FROM ${this.table} WHERE id = $1::bigint`, [value.attachmentId]);
    // Gone already (cleaned up after a long outage of this listener): nothing to deliver.
    const row = rows[0];
    if (!row) return undefined;
    const document = decodeAttachment(row.payload);
    return document.ok ? document.value : undefined;
  }

  /** Attachment rows are deleted after `cleanupInterval` while any namespace listens (as the official adapter does). */
  private retain(): void {
    this.users++;
    if (this.cleanupTimer) return;
    this.cleanupTimer = setInterval(() => {
      Promise.resolve(
        this.client.unsafe(`DELETE FROM ${this.table} WHERE created_at < now() - ($1::text || ' milliseconds')::interval`, [String(this.options.cleanupInterval)]),
      ).catch((error: unknown) => this.options.onError(error, "attachment cleanup"));
    }, this.options.cleanupInterval);
    this.cleanupTimer.unref();
  }

  private release(): void {
    this.users--;
    if (this.users > 0 || !this.cleanupTimer) return;
    clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
  }
}
