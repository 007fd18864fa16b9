// Presence across two application nodes on Postgres alone (ADAPTER=postgres, issue 11 §2): the
// shared scenarios (app-presence-scenarios.ts), each cluster on a migrated database of its own,
// which is both the application's database and the bus.
import { describe } from "bun:test";
import { startChat } from "../support/chat-client.ts";
import { createFaultDatabase, postgresAnswersOrSkip } from "../support/fault-database.ts";
import { clusterPresenceScenarios } from "./app-presence-scenarios.ts";
import { uniqueKey } from "./support.ts";

const available = await postgresAnswersOrSkip("cluster presence tests on Postgres");

describe.skipIf(!available)("presence across two nodes on Postgres", () => {
  clusterPresenceScenarios(async () => {
    const db = await createFaultDatabase();
    const clusterKey = uniqueKey("presence");
    return {
      start: () => startChat({ ADAPTER: "postgres", DATABASE_URL: db.directUrl }, { ownDatabase: true, clusterKey }),
      [Symbol.asyncDispose]: () => db[Symbol.asyncDispose](),
    };
  });
});
