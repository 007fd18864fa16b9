// The message batch statement's plan (src/db/repositories/message-writer.ts) must not read the whole
// messages table: a plan cached while the table was small stays in use as it grows, and it once had
// Postgres hash a scan of every message for each batch (13 ms a batch at 65 000 messages). Checked on
// the generic plan, the one a prepared statement settles on, with the table nearly empty.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { rowsOf, type JsonStatement } from "../../src/db/database.ts";
import { createRepositories } from "../../src/db/repositories/index.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser } from "./fixtures.ts";

describe(`message batch statement plan (${testDriver})`, () => {
  test("the generic plan looks up a clientId's earlier message by index, never scanning messages", async () => {
    const fx = await freshFixture();
    const statements = new Map<string, string>();
    const repos = createRepositories({
      ...fx.database,
      jsonStatement: (name: string, text: string): JsonStatement => {
        statements.set(name, text);
        return fx.database.jsonStatement(name, text);
      },
    });
    const alice = await makeUser(repos, "Alice");
    const room = await repos.rooms.create({ name: "r", isPublic: true, createdBy: alice.id });
    // Two sends in one turn make a batch of two, which takes the batch statement.
    const sent = await Promise.all(["one", "two"].map((text) => repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text })));
    expect(sent.map((r) => r.ok)).toEqual([true, true]);
    const batch = statements.get("studyconnect_store_messages");
    if (!batch) throw new Error("the batch statement was never prepared");

    // One session for the setting, the prepared statement and its plan: a transaction on Postgres;
    // PGlite has only one session (and its proxy driver no transactions).
    type Run = (query: string) => Promise<unknown>;
    const inOneSession = <T>(body: (run: Run) => Promise<T>): Promise<T> =>
      fx.database.driver === "postgres"
        ? fx.database.db.transaction((tx) => body((query) => tx.execute(sql.raw(query))))
        : body((query) => fx.database.db.execute(sql.raw(query)));
    const plan = await inOneSession(async (run) => {
      await run("set plan_cache_mode = force_generic_plan");
      await run(`prepare batch_plan_check(json) as ${batch}`);
      try {
        return rowsOf<{ "QUERY PLAN": string }>(await run("explain execute batch_plan_check('[]')")).map((row) => row["QUERY PLAN"]);
      } finally {
        await run("deallocate batch_plan_check");
        await run("reset plan_cache_mode");
      }
    });
    const text = plan.join("\n");
    expect(text).toContain("messages_sender_client_id_unique");
    expect(text).not.toMatch(/Seq Scan on messages/);
  });
});
