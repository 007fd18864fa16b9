// Session snapshots of the Postgres adapter's nodes (connection state recovery after a crash): a row
// per session, (channel, pid) → the node holding it and its snapshot JSON, and a lease per node whose
// expiry the node pushes back while it lives; sessions of a node whose lease ran out are deleted.
// Whether a node is dead is told by the heartbeats (NodeLiveness), not by this table.
import type { PostgresBusClient } from "./postgres-client.ts";
import { leaseTtl, type SnapshotStore } from "./session-snapshots.ts";
import { createTables, quoteParts, tableNameParts } from "./postgres-tables.ts";

/** `table` or `schema.table`, quoted, and the name of its lease table beside it (`_leases` added: parts of at most 51 characters). */
function quotedTables(name: string): { sessions: string; leases: string } {
  const parts = tableNameParts(name, "session table", 51);
  const last = parts.length - 1;
  return { sessions: quoteParts(parts), leases: quoteParts(parts.map((part, i) => (i === last ? `${part}_leases` : part))) };
}

export class PostgresSessionStore implements SnapshotStore {
  private readonly ready: Promise<void>;
  private readonly sessions: string;
  private readonly leases: string;
  private readonly ttl: string;
  private readonly cleanup: Timer;
  private closed = false;

  constructor(
    private readonly client: PostgresBusClient,
    tableName: string,
    private readonly channel: string,
    private readonly uid: string,
    window: number,
    cleanupInterval: number,
    onError: (error: unknown, context: string) => void,
  ) {
    ({ sessions: this.sessions, leases: this.leases } = quotedTables(tableName));
    this.ttl = String(leaseTtl(window));
    this.ready = this.create();
    // Reported by the calls that await it; a store closed before any ran has no one.
    this.ready.catch(() => {});
    this.cleanup = setInterval(() => {
      this.deleteExpired().catch((error: unknown) => {
        // Cut short by the client's end after close() (the node closing): no loss.
        if (!this.closed) onError(error, "session snapshot cleanup");
      });
    }, cleanupInterval);
    this.cleanup.unref();
  }

  private async create(): Promise<void> {
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${this.sessions} (channel text NOT NULL, pid text NOT NULL, holder text NOT NULL, snapshot text NOT NULL, PRIMARY KEY (channel, pid))`,
      `CREATE TABLE IF NOT EXISTS ${this.leases} (channel text NOT NULL, holder text NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (channel, holder))`,
    ];
    await createTables(this.client, statements);
  }

  async save(written: ReadonlyMap<string, string>, removed: readonly string[]): Promise<void> {
    await this.ready;
    if (removed.length > 0) {
      // Only this node's rows: another node may have taken the session since (its row now).
      await this.client.unsafe(`DELETE FROM ${this.sessions} WHERE channel = $1 AND holder = $2 AND pid IN (SELECT json_array_elements_text($3::text::json))`, [
        this.channel,
        this.uid,
        JSON.stringify(removed),
      ]);
    }
    if (written.size > 0) {
      const rows = JSON.stringify([...written].map(([pid, snapshot]) => ({ pid, snapshot })));
      await this.client.unsafe(
        `INSERT INTO ${this.sessions} (channel, pid, holder, snapshot) SELECT $1, x.pid, $2, x.snapshot FROM json_to_recordset($3::text::json) AS x(pid text, snapshot text)
         ON CONFLICT (channel, pid) DO UPDATE SET holder = excluded.holder, snapshot = excluded.snapshot`,
        [this.channel, this.uid, rows],
      );
    }
  }

  async renew(): Promise<void> {
    await this.ready;
    await this.client.unsafe(
      `INSERT INTO ${this.leases} (channel, holder, expires_at) VALUES ($1, $2, now() + $3::int * interval '1 millisecond')
       ON CONFLICT (channel, holder) DO UPDATE SET expires_at = excluded.expires_at`,
      [this.channel, this.uid, this.ttl],
    );
  }

  /** The node holding `pid` and its snapshot, while that node's lease runs. */
  async lookup(pid: string): Promise<{ holder: string; snapshot: unknown } | undefined> {
    await this.ready;
    const rows = await this.client.unsafe(
      `SELECT s.holder, s.snapshot FROM ${this.sessions} s JOIN ${this.leases} l ON l.channel = s.channel AND l.holder = s.holder AND l.expires_at > now()
       WHERE s.channel = $1 AND s.pid = $2`,
      [this.channel, pid],
    );
    const row = rows[0];
    return row && typeof row.holder === "string" ? { holder: row.holder, snapshot: row.snapshot } : undefined;
  }

  /** Removes the snapshot `holder` left of `pid`; true for the one node whose DELETE removed it. */
  async claim(holder: string, pid: string): Promise<boolean> {
    const rows = await this.client.unsafe(`DELETE FROM ${this.sessions} WHERE channel = $1 AND pid = $2 AND holder = $3 RETURNING pid`, [this.channel, pid, holder]);
    return rows.length === 1;
  }

  private async deleteExpired(): Promise<void> {
    await this.ready;
    await this.client.unsafe(
      `DELETE FROM ${this.sessions} s WHERE s.channel = $1 AND NOT EXISTS (SELECT 1 FROM ${this.leases} l WHERE l.channel = s.channel AND l.holder = s.holder AND l.expires_at > now())`,
      [this.channel],
    );
    await this.client.unsafe(`DELETE FROM ${this.leases} WHERE channel = $1 AND expires_at < now()`, [this.channel]);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.cleanup);
  }
}
