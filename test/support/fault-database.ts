// Databases for fault tests: a throwaway Postgres database (dbfaults_*) reached through a TCP proxy
// the test can cut, with an admin connection beside the proxy; locks held in open transactions; and
// whether Postgres answers at all, so such tests skip with one line when it does not.
import postgres from "postgres";
import { postgresAnswersAt, postgresOrSkip } from "./postgres-probe.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";
import { createThrowawayPostgres } from "./throwaway-postgres.ts";

/** The server fault tests run against; DATABASE_URL's host when it names one, else the local one. */
// `||`: CI sets DATABASE_URL to "" for the PGlite run.
export const ADMIN_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

/** Whether Postgres answers at the fault tests' server (asked once per process). */
export function postgresAnswers(): Promise<boolean> {
  return postgresAnswersAt(ADMIN_URL);
}

/** Whether Postgres answers at the fault tests' server; when not, prints the one line saying `suite` is skipped. */
export function postgresAnswersOrSkip(suite: string): Promise<boolean> {
  return postgresOrSkip(suite, ADMIN_URL);
}

export type FaultDatabase = {
  /** postgres:// URL of the database through the proxy. */
  url: string;
  /** postgres:// URL of the database without the proxy. */
  directUrl: string;
  name: string;
  proxy: TcpProxy;
  /** An admin connection to the same database, not through the proxy. */
  admin: postgres.Sql;
  /** Ends every backend of this database (pg_terminate_backend), as an administrator would. */
  terminateBackends(): Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
};

let counter = 0;

/** An empty database of its own behind a fresh proxy; dropped on dispose. */
export async function createFaultDatabase(): Promise<FaultDatabase> {
  const own = await createThrowawayPostgres(ADMIN_URL, `dbfaults_${process.pid}_${Date.now().toString(36)}_${counter++}`);
  const { name } = own;
  const direct = new URL(own.url);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const through = new URL(direct);
  through.hostname = "127.0.0.1";
  through.port = String(proxy.port);
  const admin = postgres(direct.toString(), { max: 1, onnotice: () => {} });
  let disposed = false;
  return {
    url: through.toString(),
    directUrl: direct.toString(),
    name,
    proxy,
    admin,
    async terminateBackends() {
      const rows = await admin`
        select pg_terminate_backend(pid) as ended from pg_stat_activity
        where datname = ${name} and pid <> pg_backend_pid()`;
      return rows.length;
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      await proxy.close();
      await admin.end({ timeout: 1 });
      await own.drop();
    },
  };
}

/**
 * Polls pg_stat_activity (a lock wait raises no event) until a backend of `applicationName` in
 * `admin`'s own database waits on a lock; answers its pid.
 */
export async function backendWaitingOnLock(admin: postgres.Sql, applicationName: string, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await admin<{ pid: number }[]>`
      select pid from pg_stat_activity where application_name = ${applicationName} and datname = current_database() and wait_event_type = 'Lock'`;
    if (row) return row.pid;
    if (Date.now() > deadline) throw new Error(`no backend of ${applicationName} waited on a lock within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

/** Polls pg_stat_activity until no backend of `applicationName` is left in `admin`'s database (one ended is gone a moment later). */
export async function backendsGone(admin: postgres.Sql, applicationName: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await admin`select 1 from pg_stat_activity where application_name = ${applicationName} and datname = current_database()`).length > 0) {
    if (Date.now() > deadline) throw new Error(`backends of ${applicationName} still there after ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

/** A transaction left open holding what its statement locked; `release()` commits it and closes its client. */
export type HeldLock = { release(): Promise<void> };

/**
 * Runs `statement` in a transaction on a connection of its own and leaves the transaction open, so
 * its locks hold until release(): for tests of what waits behind a lock. BEGIN and COMMIT are sent
 * by us on a one-connection client, not through postgres.js begin(), which throws from a timer when
 * a backend dies inside it (src/lib/pg-session.ts).
 */
export async function holdLock(url: string, statement: string, parameters: postgres.ParameterOrJSON<never>[] = []): Promise<HeldLock> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await sql`commit`.catch(() => {});
    await sql.end({ timeout: 1 });
  };
  try {
    await sql`begin`;
    await sql.unsafe(statement, parameters);
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}
