// One Postgres connection whose work (transactions included) runs one piece at a time, and which
// never writes on a connection postgres.js has closed: each connection gets a postgres.js client of
// its own, ended as soon as that connection closes, and the next piece of work opens a new one.
import postgres from "postgres";
import { errorCodes } from "./error-cause.ts";

// Why not postgres.js' begin() or reserve() (3.4.9, both seen with a backend ended mid-statement):
// - begin(): a statement failing because the connection closed makes it write ROLLBACK on that
//   connection, whose socket is gone by then: a TypeError thrown from a timer (uncaught, the process
//   dies), and the connection's unwritten bytes stay behind, so every later connect of it times out.
// - reserve(): a connection closed during a statement keeps the server's error, which fails the next
//   statement after it reconnects; when that is a reserve(), the connection is handed to the failed
//   request and never comes back (a pool of one then waits forever).
// A client per connection carries nothing over from a closed connection.

/** The postgres.js settings of the session's clients (`max` is 1, `onclose` the session's, no `max_lifetime`). */
export type PgSessionSettings = Omit<postgres.Options<Record<string, postgres.PostgresType>>, "max" | "onclose" | "max_lifetime">;

export type PgSession = {
  /** Runs `work` alone on the connection between BEGIN and COMMIT; on a failure it rolls back and rethrows. */
  transaction<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T>;
  /** Runs `work` alone on the connection, outside any transaction. */
  run<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T>;
  /** Ends the connection (statements still running get `timeoutS`); later work is refused. */
  end(timeoutS: number): Promise<void>;
};

// The connection is gone: postgres.js' own codes, a socket error, the server ending the session
// (SQLSTATE 08 connection exception, 57P0x shutdown/terminated). Only a hint: a transaction that
// fails so sends no ROLLBACK and ends its client, which is safe whether or not the hint was right.
const GONE_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT"]);
const GONE_SQLSTATE = /^(08...|57P0.)$/;

/** Whether `error` says the connection it came through is lost (so nothing more may be sent on it). */
export function connectionLost(error: unknown): boolean {
  return errorCodes(error).some((code) => GONE_CODES.has(code) || GONE_SQLSTATE.test(code));
}

type Client = { sql: postgres.Sql; closed: boolean };

const ignore = (): void => {};

export function createPgSession(url: string, settings: PgSessionSettings): PgSession {
  let current: Client | undefined;
  let ending = false;
  // Work runs after everything queued before it, whatever that did.
  let tail: Promise<void> = Promise.resolve();

  function open(): Client {
    const client: Client = {
      // Never retired for its age: postgres.js ends an old connection after the statement it is
      // running, even inside a transaction of ours, which would then fail.
      sql: postgres(url, { ...settings, max: 1, max_lifetime: null, onclose: () => retire(client) }),
      closed: false,
    };
    return client;
  }

  /**
   * Called as the connection closes. postgres.js fails the statements in flight and calls onclose in
   * one step, so this runs before any of those failures is handled (after a socket error the close
   * follows a moment later; ending the client then fails what the error left waiting).
   */
  function retire(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    if (current === client) current = undefined;
    // Ending it fails whatever it still holds, and keeps it from connecting again for a statement
    // sent later by mistake: a statement of an old transaction never runs on a new connection.
    client.sql.end({ timeout: 0 }).catch(ignore);
  }

  function serially<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const result = tail.then(() => {
      if (ending) throw Object.assign(new Error("the Postgres session has ended"), { code: "CONNECTION_ENDED" });
      current ??= open();
      return work(current);
    });
    tail = result.then(ignore, ignore);
    return result;
  }

  async function transaction<T>(client: Client, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
    const { sql } = client;
    await sql.unsafe("begin");
    try {
      const result = await work(sql);
      if (client.closed) throw Object.assign(new Error("the Postgres connection closed during the transaction"), { code: "CONNECTION_CLOSED" });
      await sql.unsafe("commit");
      return result;
    } catch (error) {
      // A lost connection's transaction is rolled back by the server; nothing is sent on it. One that
      // may be alive but is not trusted any more is ended, which rolls back too.
      if (client.closed) throw error;
      if (connectionLost(error)) {
        retire(client);
        throw error;
      }
      await sql.unsafe("rollback").catch(() => retire(client));
      throw error;
    }
  }

  return {
    transaction: (work) => serially((client) => transaction(client, work)),
    run: (work) => serially((client) => work(client.sql)),
    async end(timeoutS) {
      ending = true;
      const client = current;
      current = undefined;
      if (client) {
        client.closed = true;
        await client.sql.end({ timeout: timeoutS });
      }
    },
  };
}
