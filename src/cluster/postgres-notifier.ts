// The connection a node's NOTIFYs go out on under ADAPTER=postgres: one postgres.js connection of
// its own, on which the Postgres bus pipelines them in order (PostgresNotifier in src/adapter/postgres-client.ts).
import postgres from "postgres";
import type { PostgresNotifier } from "../adapter/postgres-client.ts";

/** A text literal that reads the same whatever standard_conforming_strings says (E'' always takes backslash escapes). */
function textLiteral(text: string): string {
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

const backendPidOf = (rows: readonly Record<string, unknown>[]): number | undefined => {
  const pid = rows[0]?.pid;
  return typeof pid === "number" ? pid : undefined;
};

export function createPostgresNotifier(url: string, connectTimeoutMs: number): { notifier: PostgresNotifier; sql: postgres.Sql } {
  const closeListeners: (() => void)[] = [];
  // The backend of the connection open now, once a statement on it told it.
  let backendPid: number | undefined;
  const sql = postgres(url, {
    max: 1,
    connect_timeout: connectTimeoutMs / 1000,
    onnotice: () => {},
    // A new connection runs no type lookup before its first statement, and none is retired for its age.
    fetch_types: false,
    max_lifetime: null,
    // Seconds before connecting again after a failed connection. postgres.js's default grows to 20 s
    // after seven failures and never shrinks (its count is never reset), so a node that had a few
    // outages would publish nothing for up to 20 s after the next one ended.
    backoff: (failures: number) => Math.min(0.01 * 2 ** failures, 0.5),
    onclose: () => {
      backendPid = undefined;
      for (const listener of closeListeners) listener();
    },
    // Named as the bus pool is: an administrator (and the outage test) finds every bus connection by this name.
    connection: { application_name: "studyconnect-bus" },
  });

  const selectPid = async (): Promise<void> => {
    backendPid = backendPidOf(await sql.unsafe("select pg_backend_pid() as pid"));
  };

  return {
    sql,
    notifier: {
      // Statements without parameters go as simple queries, pipelined from the first one on a
      // connection. When a connection dies, postgres.js rejects what it sent on it, but keeps what
      // it had not written yet (a socket write that had to wait) for the next connection: a NOTIFY
      // names the backend it is meant for, and on any other it notifies nothing and fails here.
      async notify(channel, payload) {
        const call = `pg_notify(${textLiteral(channel)}, ${textLiteral(payload)})`;
        const meantFor = backendPid;
        if (meantFor === undefined) {
          backendPid = backendPidOf(await sql.unsafe(`select pg_backend_pid() as pid, ${call}`));
          return;
        }
        const rows = await sql.unsafe(`select ${call} where pg_backend_pid() = ${meantFor}`);
        if (rows.length === 0) throw new Error(`NOTIFY not sent: its connection (backend ${meantFor}) closed before it was written`);
      },
      async probe() {
        try {
          await selectPid();
        } catch (error) {
          // postgres.js keeps the error a server sent just before it ended the connection (a FATAL
          // of pg_terminate_backend, with statements in flight) and fails the first statement of the
          // next connection with it: an error from a server is asked once more.
          if (!(error instanceof postgres.PostgresError)) throw error;
          await selectPid();
        }
      },
      onClose: (listener) => void closeListeners.push(listener),
    },
  };
}
