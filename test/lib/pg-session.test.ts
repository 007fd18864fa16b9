// A Postgres session (src/lib/pg-session.ts) whose connection dies during a transaction, against a
// real Postgres: the transaction fails with the connection's error, nothing is thrown outside a
// promise (postgres.js' own begin() crashes the process here), and the next piece of work succeeds.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { connectionLost, createPgSession, type PgSession } from "../../src/lib/pg-session.ts";
import { backendsGone, backendWaitingOnLock, createFaultDatabase, holdLock, postgresAnswersOrSkip, type FaultDatabase } from "../support/fault-database.ts";
import { rejectionOf } from "../support/promises.ts";

const available = await postgresAnswersOrSkip("Postgres session tests");

let db: FaultDatabase | undefined;
const sessions: PgSession[] = [];
// Anything thrown outside a promise while a test runs (postgres.js writing on a closed socket).
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => void uncaught.push(error);

beforeAll(async () => {
  if (!available) return;
  db = await createFaultDatabase();
  await db.admin`create table items (id int primary key)`;
  process.on("uncaughtException", onUncaught);
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.end(1)));
  if (db) await db.admin`delete from items`;
});

afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await db?.[Symbol.asyncDispose]();
});

let sessionCount = 0;

/** A session through the proxy (cut it with db.proxy) under an application name of its own. */
function session(): { session: PgSession; name: string } {
  if (!db) throw new Error("no Postgres");
  const name = `pg-session-test-${sessionCount++}`;
  const opened = createPgSession(db.url, { onnotice: () => {}, connect_timeout: 5, connection: { application_name: name } });
  sessions.push(opened);
  return { session: opened, name };
}

/** Ends the backend of session `name` once it waits on a lock. */
async function terminateWhenWaiting(name: string): Promise<void> {
  if (!db) throw new Error("no Postgres");
  const pid = await backendWaitingOnLock(db.admin, name);
  await db.admin`select pg_terminate_backend(${pid})`;
}

/** Holds `items` locked, in a transaction of its own, until the returned function is called. */
async function lockItems(): Promise<() => Promise<void>> {
  if (!db) throw new Error("no Postgres");
  const lock = await holdLock(db.directUrl, "lock table items in exclusive mode");
  return () => lock.release();
}

async function ids(): Promise<number[]> {
  if (!db) throw new Error("no Postgres");
  return (await db.admin<{ id: number }[]>`select id from items order by id`).map((row) => row.id);
}

describe.skipIf(!available)("a Postgres session", () => {
  test("a transaction whose backend is ended mid-statement fails with the connection's error; the next one succeeds", async () => {
    const { session: s, name } = session();
    await s.transaction((sql) => sql`insert into items values (1)`);
    const unlock = await lockItems();
    const failing = s.transaction(async (sql) => {
      await sql`insert into items values (2)`;
      await sql`insert into items values (3)`;
    });
    await terminateWhenWaiting(name);
    const error = await rejectionOf(failing);
    expect(connectionLost(error)).toBe(true);
    await unlock();
    // The next transaction runs on a new connection and commits.
    await s.transaction((sql) => sql`insert into items values (4)`);
    expect(await ids()).toEqual([1, 4]);
    expect(uncaught).toEqual([]);
  });

  test("a transaction cut by the network (both sides closed) fails; the next one succeeds", async () => {
    if (!db) throw new Error("no Postgres");
    const proxy = db.proxy;
    const { session: s, name } = session();
    await s.run((sql) => sql`select 1`);
    const unlock = await lockItems();
    const failing = s.transaction(async (sql) => {
      await sql`insert into items values (5)`;
    });
    // The insert waits on the lock; the proxy closes its connections once Postgres shows it waiting.
    await backendWaitingOnLock(db.admin, name);
    proxy.closeAll();
    const error = await rejectionOf(failing);
    expect(connectionLost(error)).toBe(true);
    await unlock();
    await s.transaction((sql) => sql`insert into items values (6)`);
    expect(await ids()).toEqual([6]);
    expect(uncaught).toEqual([]);
  });

  test("a backend ended while the transaction sends nothing: no later statement of it runs anywhere", async () => {
    if (!db) throw new Error("no Postgres");
    const admin = db.admin;
    const { session: s, name } = session();
    const error = await rejectionOf(
      s.transaction(async (sql) => {
        await sql`insert into items values (7)`;
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${name}`;
        // Once the backend is gone, the statement must not reach a new connection outside the transaction.
        await backendsGone(admin, name);
        await sql`insert into items values (8)`;
      }),
    );
    expect(connectionLost(error)).toBe(true);
    await s.transaction((sql) => sql`insert into items values (9)`);
    expect(await ids()).toEqual([9]);
    expect(uncaught).toEqual([]);
  });

  test("a statement error rolls back and keeps the connection", async () => {
    const { session: s } = session();
    const [before] = await s.run((sql) => sql<{ pid: number }[]>`select pg_backend_pid() as pid`);
    const error = await rejectionOf(
      s.transaction(async (sql) => {
        await sql`insert into items values (10)`;
        await sql`insert into items values (10)`;
      }),
    );
    expect(connectionLost(error)).toBe(false);
    expect(error).toMatchObject({ code: "23505" });
    const [after] = await s.transaction((sql) => sql<{ pid: number }[]>`select pg_backend_pid() as pid`);
    expect(after?.pid).toBe(before?.pid ?? -1);
    expect(await ids()).toEqual([]);
  });

  test("work runs one piece at a time, and an ended session refuses more", async () => {
    const { session: s } = session();
    const order: string[] = [];
    await Promise.all([
      s.transaction(async (sql) => {
        order.push("first begins");
        await sql`insert into items values (11)`;
        order.push("first ends");
      }),
      s.run(async (sql) => {
        order.push("second");
        return sql`select 1`;
      }),
    ]);
    expect(order).toEqual(["first begins", "first ends", "second"]);
    await s.end(1);
    expect(connectionLost(await rejectionOf(s.run((sql) => sql`select 1`)))).toBe(true);
  });
});
