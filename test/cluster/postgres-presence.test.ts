// The per-node connection counts in Postgres (src/cluster/postgres-presence.ts) against a real
// Postgres, in a migrated database of the test's own: the shared store scenarios.
import { afterAll, beforeAll, describe } from "bun:test";
import postgres from "postgres";
import { createPostgresPresence } from "../../src/cluster/postgres-presence.ts";
import { openDatabase } from "../../src/db/database.ts";
import { createFaultDatabase, postgresAnswers, skipNotice, type FaultDatabase } from "../support/fault-database.ts";
import { presenceStoreScenarios } from "./presence-store-scenarios.ts";
import { uniqueKey } from "./support.ts";

const available = await postgresAnswers();
if (!available) skipNotice("postgres presence tests");

let db: FaultDatabase | undefined;
let sql: postgres.Sql | undefined;

beforeAll(async () => {
  if (!available) return;
  db = await createFaultDatabase();
  const database = await openDatabase({ driver: "postgres", url: db.directUrl, timeouts: { connectTimeoutMs: 5000, statementTimeoutMs: 5000, idleTimeoutMs: 10_000 } });
  await database.migrate();
  await database.close(1000);
  sql = postgres(db.directUrl, { max: 4, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await db?.[Symbol.asyncDispose]();
});

async function nodes(timeoutMs = 60_000) {
  if (!sql) throw new Error("no Postgres");
  const key = uniqueKey("counts");
  return [createPostgresPresence(sql, { key, nodeId: "node-a", timeoutMs }), createPostgresPresence(sql, { key, nodeId: "node-b", timeoutMs })] as const;
}

describe.skipIf(!available)("presence counts in Postgres", () => {
  presenceStoreScenarios(nodes);
});
