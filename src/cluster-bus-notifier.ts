// The connection a node's NOTIFYs go out on under ADAPTER=postgres: one postgres.js connection of
// its own, on which the Postgres bus pipelines them in order (PostgresNotifier in src/adapter/postgres-client.ts).
// Each connection gets a postgres.js client of its own: once it closes, that client is ended and
// the next statement opens a new one, so nothing the old one still held can follow it.
import postgres from "postgres";
import type { PostgresNotifier } from "./adapter/postgres-client.ts";
import { reconnectBackoff } from "./lib/reconnect-backoff.ts";

/**
 * What every postgres.js client of the Postgres bus shares: the connect timeout, NOTICEs unlogged,
 * the capped reconnect wait, no type lookup, and a name an administrator (and the outage tests)
 * finds them by.
 */
export function busClientSettings(connectTimeoutMs: number, applicationName: string) {
  return {
    connect_timeout: connectTimeoutMs / 1000,
    onnotice: () => {},
    backoff: reconnectBackoff,
    // postgres.js looks up array types on every new connection from its socket handler, without
    // handling that statement's failure: a connection dropped or ended during it (a bus outage, a
    // close while it reconnects) left an unhandled rejection. The bus passes and reads no arrays.
    fetch_types: false,
    connection: { application_name: applicationName },
  };
}

/** A text literal that reads the same whatever standard_conforming_strings says (E'' always takes backslash escapes). */
function textLiteral(text: string): string {
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

const backendPidOf = (rows: readonly Record<string, unknown>[]): number | undefined => {
  const pid = rows[0]?.pid;
  return typeof pid === "number" ? pid : undefined;
};

/** A postgres.js client of one connection, and that connection's backend once a statement told it. */
type Connection = { sql: postgres.Sql; pid?: number };

export type PostgresNotifierHandle = { notifier: PostgresNotifier; end(timeoutS: number): Promise<void> };

export function createPostgresNotifier(url: string, connectTimeoutMs: number): PostgresNotifierHandle {
  const closeListeners: (() => void)[] = [];
  let ending = false;

  const open = (): Connection => {
    const connection: Connection = {
      sql: postgres(url, {
        // Named as the bus pool is: every bus connection is found by one name.
        ...busClientSettings(connectTimeoutMs, "studyconnect-bus"),
        max: 1,
        // Never retired for its age; and a connection left behind by an ended client (postgres.js
        // may still open one) closes itself.
        max_lifetime: null,
        idle_timeout: 60,
        onclose: () => closed(connection),
      }),
    };
    return connection;
  };
  let current = open();

  function closed(connection: Connection): void {
    if (connection !== current || ending) return;
    // What this client still holds (statements it had not written to the socket) is failed by
    // ending it; the next statement goes through a new client.
    current = open();
    connection.sql.end({ timeout: 0 }).catch(() => {});
    for (const listener of closeListeners) listener();
  }

  return {
    notifier: {
      // Statements without parameters go as simple queries, pipelined from the first one on a
      // connection. Each names the backend it is meant for (once known): should postgres.js ever
      // send one on another connection, it notifies nothing and fails here.
      async notify(channel, payload) {
        const connection = current;
        const call = `pg_notify(${textLiteral(channel)}, ${textLiteral(payload)})`;
        if (connection.pid === undefined) {
          connection.pid = backendPidOf(await connection.sql.unsafe(`select pg_backend_pid() as pid, ${call}`));
          return;
        }
        const rows = await connection.sql.unsafe(`select ${call} where pg_backend_pid() = ${connection.pid}`);
        if (rows.length === 0) throw new Error(`NOTIFY not sent: its connection (backend ${connection.pid}) closed before it was written`);
      },
      async probe() {
        const connection = current;
        connection.pid = backendPidOf(await connection.sql.unsafe("select pg_backend_pid() as pid"));
      },
      onClose: (listener) => void closeListeners.push(listener),
    },
    async end(timeoutS) {
      ending = true;
      await current.sql.end({ timeout: timeoutS });
    },
  };
}
