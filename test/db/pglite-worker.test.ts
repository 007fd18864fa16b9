// The embedded database in its worker thread (src/db/pglite-worker-client.ts): the main thread keeps
// running while a statement works, Postgres errors keep their SQLSTATE and constraint across the
// thread boundary, and a closed database refuses further work.
import { afterAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, rowsOf, type Database } from "../../src/db/database.ts";
import { startPgliteWorkerEarly } from "../../src/db/pglite-worker-start.ts";
import { pgErrorOf } from "../../src/db/repositories/pg-error.ts";
import { rejectionOf } from "../support/promises.ts";

const opened: { database: Database; dir: string }[] = [];
afterAll(async () => {
  for (const { database, dir } of opened.splice(0)) {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function open(): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), "studyconnect-worker-test-"));
  const database = await openDatabase({ driver: "pglite", dataDir: join(dir, "data") });
  opened.push({ database, dir });
  await database.migrate();
  return database;
}

// Starting a worker and its PGlite takes a second or more: the tests that leave it open share one.
let shared: Promise<Database> | undefined;
const sharedDatabase = (): Promise<Database> => (shared ??= open());

describe("PGlite in a worker", () => {
  test("a later worker of the process is handed the wasm the first one compiled, and does not compile it again", async () => {
    const first = await sharedDatabase();
    const second = await open();
    const phases = (database: Database) => (database.startupPhases ?? []).map(({ phase }) => phase);
    // The shared test database of this process may have been the first: either way this file's
    // second open comes after an open that compiled.
    expect(phases(second)).toContain("pglite wasm handed over");
    expect(phases(second)).not.toContain("pglite wasm ready");
    expect(rowsOf<{ one: number }>(await second.db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
    expect(phases(first).some((phase) => phase.startsWith("pglite wasm"))).toBe(true);
  });

  test("the main thread keeps running while a long statement works", async () => {
    const database = await sharedDatabase();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    // Long for wasm (well over the timer period), yet a single statement: were it run on this
    // thread, no timer could fire until it returned.
    const result = database.db.execute(sql`select count(*)::int as n from generate_series(1, 3000000)`);
    let ticksWhileWorking = 0;
    void result.then(() => (ticksWhileWorking = ticks));
    expect(rowsOf<{ n: number }>(await result)).toEqual([{ n: 3000000 }]);
    clearInterval(timer);
    expect(ticksWhileWorking).toBeGreaterThan(0);
  });

  test("a Postgres error keeps its SQLSTATE code and constraint", async () => {
    const database = await sharedDatabase();
    await database.db.execute(sql`insert into users (email, password_hash, first_name, last_name) values ('a@b.c', 'h', 'A', 'B')`);
    const error = await rejectionOf(
      database.db.execute(sql`insert into users (email, password_hash, first_name, last_name) values ('a@b.c', 'h', 'A', 'B')`),
    );
    expect(pgErrorOf(error)).toEqual({ code: "23505", constraint: "users_email_unique" });
  });

  test("after close, work is refused instead of hanging", async () => {
    // The shared one, taken out of sharing before it is closed (a later test opens another): a
    // database of its own would cost another worker and PGlite start.
    const database = await sharedDatabase();
    shared = undefined;
    await database.close();
    expect(await rejectionOf(database.ping())).toBeInstanceOf(Error);
  });

  test("a worker started early (main.ts, before the rest of the server loads) serves the next open", async () => {
    startPgliteWorkerEarly();
    const database = await open();
    expect(rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from users`))).toEqual([{ n: 0 }]);
  });
});
