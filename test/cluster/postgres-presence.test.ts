// The per-node connection counts in Postgres (src/cluster/postgres-presence.ts) against a real
// Postgres, in a migrated database of the test's own: the shared store scenarios, and a node whose
// presence connection is ended by the server in the middle of a change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPostgresPresence } from "../../src/cluster/postgres-presence.ts";
import { openDatabase } from "../../src/db/database.ts";
import { connectionLost, createPgSession, type PgSession } from "../../src/lib/pg-session.ts";
import { backendWaitingOnLock, createFaultDatabase, holdLock, postgresAnswersOrSkip, type FaultDatabase } from "../support/fault-database.ts";
import { rejectionOf } from "../support/promises.ts";
import { presenceStoreScenarios } from "./presence-store-scenarios.ts";
import { uniqueKey } from "./support.ts";

const available = await postgresAnswersOrSkip("postgres presence tests");

let db: FaultDatabase | undefined;
const sessions: PgSession[] = [];
let sessionCount = 0;

beforeAll(async () => {
  if (!available) return;
  db = await createFaultDatabase();
  const database = await openDatabase({ driver: "postgres", url: db.directUrl, timeouts: { connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleTimeoutMs: 10_000 } });
  await database.migrate();
  await database.close(1000);
});

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.end(1)));
  await db?.[Symbol.asyncDispose]();
});

/** A node's presence session, as the Postgres bus opens it, under an application name of its own. */
function session(): { session: PgSession; name: string } {
  if (!db) throw new Error("no Postgres");
  const name = `presence-test-${sessionCount++}`;
  const opened = createPgSession(db.directUrl, { onnotice: () => {}, connect_timeout: 5, connection: { application_name: name } });
  sessions.push(opened);
  return { session: opened, name };
}

async function nodes(timeoutMs = 60_000) {
  const key = uniqueKey("counts");
  return [
    createPostgresPresence(session().session, { key, nodeId: "node-a", timeoutMs }),
    createPostgresPresence(session().session, { key, nodeId: "node-b", timeoutMs }),
  ] as const;
}

describe.skipIf(!available)("presence counts in Postgres", () => {
  presenceStoreScenarios(nodes);

  test("a change whose backend is ended mid-transaction fails with the connection's error, and the next one goes through", async () => {
    if (!db) throw new Error("no Postgres");
    const admin = db.admin;
    const key = uniqueKey("killed");
    const { session: own, name } = session();
    const a = createPostgresPresence(own, { key, nodeId: "node-a", timeoutMs: 60_000 });
    await a.register(new Map(), []);
    // Anything thrown outside a promise (postgres.js' begin() writing ROLLBACK on the closed socket).
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    // The clock row held elsewhere: the change waits on it, inside its transaction, until its
    // backend is ended.
    const lock = await holdLock(db.directUrl, "select 1 from cluster_clock where cluster = $1 for update", [key]);
    try {
      const change = a.set("u1", 1);
      const pid = await backendWaitingOnLock(admin, name);
      await admin`select pg_terminate_backend(${pid})`;
      const error = await rejectionOf(change);
      expect(connectionLost(error)).toBe(true);
      await lock.release();
      // The next change runs on a new connection; the ended one changed nothing.
      expect(await a.set("u1", 1)).toMatchObject({ before: 0, after: 1 });
      expect(await a.heartbeat()).toBe(true);
      expect((await a.online()).users).toEqual(["u1"]);
      expect(uncaught).toEqual([]);
    } finally {
      await lock.release();
      process.off("uncaughtException", onUncaught);
    }
  });
});
