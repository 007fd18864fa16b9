// Presence: one row per user with the last known status and when it was observed.
import { and, eq, lt, notInArray } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import type { Presence } from "../../chat/ports.ts";
import type { PresenceStatus } from "../../chat/types.ts";
import { userPresence } from "../schema.ts";
import { createPresenceWriter } from "./presence-writer.ts";
import { isUuid } from "./uuid.ts";

export type { Presence, PresenceStatus };

export type PresenceRepository = ReturnType<typeof createPresenceRepository>;

export function createPresenceRepository(db: Db, jsonStatement: Database["jsonStatement"]) {
  const writer = createPresenceWriter(jsonStatement);
  return {
    /**
     * Records `status` as observed at `at`. An observation older than the stored one is ignored, so a
     * slow "offline" write from a closed connection cannot overwrite a newer "online" one.
     * Returns whether the row was written.
     */
    async setStatus(userId: string, status: PresenceStatus, at: Date): Promise<boolean> {
      // A malformed id would break the batch's JSON cast for everyone in it; it names no user anyway.
      if (!isUuid(userId)) throw new Error(`presence for a malformed user id: ${JSON.stringify(userId)}`);
      return writer.write({ userId, status, at });
    },

    /**
     * Marks every user stored as online offline (their last activity kept), answering how many: at
     * start-up, for what a node killed without a shutdown left behind. One node only, for now: with
     * several, this would also mark the other nodes' users offline.
     */
    async markAllOffline(): Promise<number> {
      const rows = await db
        .update(userPresence)
        .set({ status: "offline" })
        .where(eq(userPresence.status, "online"))
        .returning({ userId: userPresence.userId });
      return rows.length;
    },

    /**
     * Marks offline the users stored as online that no node counts (`online`), observed before `before`
     * (a newer "online" is a connection that arrived meanwhile): start-up under a cluster adapter,
     * where the other nodes' users must stay online. Answers how many.
     */
    async markOfflineExcept(online: readonly string[], before: Date): Promise<number> {
      const ids = online.filter(isUuid);
      const rows = await db
        .update(userPresence)
        .set({ status: "offline" })
        .where(
          and(
            eq(userPresence.status, "online"),
            lt(userPresence.lastActivity, before),
            ...(ids.length > 0 ? [notInArray(userPresence.userId, ids)] : []),
          ),
        )
        .returning({ userId: userPresence.userId });
      return rows.length;
    },

    async get(userId: string): Promise<Presence | undefined> {
      if (!isUuid(userId)) return undefined;
      const [row] = await db
        .select({ status: userPresence.status, lastActivity: userPresence.lastActivity })
        .from(userPresence)
        .where(eq(userPresence.userId, userId))
        .limit(1);
      return row;
    },
  };
}
