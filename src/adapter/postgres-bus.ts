// The Postgres side of the Postgres adapter, shared by the namespaces of one adapter factory:
// documents out by NOTIFY (or, when too big for NOTIFY or binary, as MessagePack rows of the
// attachment table with a NOTIFY header), documents in from LISTEN, and the table's upkeep.
import { encode as msgpackEncode } from "notepack.io-3";
import type { BusRecord } from "./cluster-protocol.ts";
import type { PostgresBusClient } from "./postgres-client.ts";
import { OrderedPublisher, type Notification } from "./postgres-publisher.ts";
import { channelOf, decodeAttachment, decodeNotification, hasBinary, NOTIFY_PAYLOAD_LIMIT } from "./postgres-protocol.ts";
import { createTables, quoteParts, tableNameParts } from "./postgres-tables.ts";

export type PostgresBusOptions = {
  channelPrefix: string;
  tableName: string;
  /** Documents whose JSON is longer (in bytes) go through the table; never more than Postgres takes (7999). */
  payloadThreshold: number;
  /** Attachment rows older than this many milliseconds are deleted, checked as often. */
  cleanupInterval: number;
  onError: (error: unknown, context: string) => void;
  /** A NOTIFY (or attachment insert) failed: that document and every one after it are lost. Once until the resumption. */
  onPublishDropped: () => void;
  /**
   * The NOTIFY connection answers again after a drop; what this listener publishes (synchronously)
   * goes out before every document still waiting.
   */
  onPublishResumed: () => void;
};

type Document = BusRecord & { nsp: string };

/** NOTIFYs unanswered at once on a notifier's connection: below postgres.js's pipeline limit (100), past which it queues them itself. */
const PIPELINE_WINDOW = 64;

export class PostgresBus {
  /** Resolves once the attachment table exists (created when missing, with the official adapter's columns). */
  readonly ready: Promise<void>;
  private readonly table: string;
  private cleanupTimer: Timer | undefined;
  private readonly publisher: OrderedPublisher<Document>;
  private users = 0;

  constructor(
    readonly client: PostgresBusClient,
    private readonly options: PostgresBusOptions,
  ) {
    this.table = quoteParts(tableNameParts(options.tableName, "attachment table"));
    const pool = { notify: (channel: string, payload: string) => client.notify(channel, payload), probe: () => client.unsafe("SELECT 1"), onClose: () => {} };
    this.publisher = new OrderedPublisher<Document>({
      notifier: client.notifier ?? pool,
      window: client.notifier ? PIPELINE_WINDOW : 1,
      prepare: (document) => this.prepare(document),
      onState: (ok) => this.published(ok),
    });
    const create = `CREATE TABLE IF NOT EXISTS ${this.table} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`;
    this.ready = createTables(client, [create]);
    // Reported by whoever awaits it (listen, an attachment); a bus closed before either ran has no one.
    this.ready.catch(() => {});
  }

  channel(namespace: string): string {
    return channelOf(this.options.channelPrefix, namespace);
  }

  /**
   * LISTENs to a namespace's channel. Documents of other senders reach `onDocument` in the order
   * their NOTIFYs came (an attachment is read before anything after it is handed on); `onListen`
   * runs after every LISTEN (again after the listening connection dropped), in that same order:
   * after everything that came on the connection before, before anything on the new one.
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
    const context = `notification on ${this.channel(namespace)}`;
    const inOrder = (step: () => Promise<void> | void, failure: string) => {
      queue = queue.then(step).catch((error: unknown) => {
        // Once unlistened, a read cut short by the client's end is no loss.
        if (listening) this.options.onError(error, failure);
      });
    };
    // Notifications are queued one turn of the event loop after they arrive. postgres.js reports a
    // LISTEN done (onlisten) in the microtasks of the turn that read its answer, and the new
    // connection's first notifications can come in the same read: queued at once, they would be
    // handed on before `onListen`, and a listener taking a mark there would count them as old.
    let arrived: string[] = [];
    const handOn = () => {
      const batch = arrived;
      arrived = [];
      for (const payload of batch) {
        inOrder(async () => {
          const document = await this.receive(payload, ownUid, onOwnDocument);
          if (document) onDocument(document);
        }, context);
      }
    };
    const onNotify = (payload: string) => {
      if (arrived.push(payload) === 1) setImmediate(handOn);
    };
    await this.ready;
    const { unlisten } = await this.client.listen(this.channel(namespace), onNotify, () => inOrder(onListen, `listen on ${this.channel(namespace)}`));
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
   * a join must reach the other nodes before the broadcast to the room that follows it. Through the
   * client's notifier the NOTIFYs are pipelined on its one connection; without one they go one at a
   * time (NOTIFYs of a pool's different connections may arrive in any order).
   */
  publish(document: Document): Promise<void> {
    return this.publisher.publish(document);
  }

  /** Resolves once every document handed to publish so far went out (or failed): call before ending the client. */
  drained(): Promise<void> {
    return this.publisher.drained();
  }

  /** Told in the order the documents went (or did not): a resumption always follows its drop. */
  private published(ok: boolean): void {
    try {
      if (ok) this.options.onPublishResumed();
      else this.options.onPublishDropped();
    } catch (error) {
      // A listener's failure must not stop the documents queued behind.
      this.options.onError(error, ok ? "publish resumed" : "publish dropped");
    }
  }

  /** A document's NOTIFY: the JSON itself, or (too big for NOTIFY, or binary) the header of its attachment row. */
  private prepare(document: Document): Notification | Promise<Notification> {
    const channel = this.channel(document.nsp);
    const json = hasBinary(document) ? undefined : JSON.stringify(document);
    if (json !== undefined) {
      const bytes = Buffer.byteLength(json);
      if (bytes <= this.options.payloadThreshold && bytes < NOTIFY_PAYLOAD_LIMIT) return { channel, payload: json };
    }
    return this.store(document, channel);
  }

  private async store(document: Document, channel: string): Promise<Notification> {
    await this.ready;
    const rows = await this.client.unsafe(`INSERT INTO ${this.table} (payload) VALUES ($1) RETURNING id`, [msgpackEncode(document)]);
    const id = rows[0]?.id;
    if (typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") throw new Error("attachment insert returned no id");
    return { channel, payload: JSON.stringify({ uid: document.uid, type: document.type, attachmentId: String(id) }) };
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
      ).catch((error: unknown) => {
        // Cut short by the client's end once the last namespace stopped listening (the node closing): no loss.
        if (this.users > 0) this.options.onError(error, "attachment cleanup");
      });
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
