// Presence: one row per user with the last known status and when it was observed.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { userPresence, type PresenceRow } from "../schema.ts";
import { isUuid } from "./uuid.ts";

export type PresenceStatus = PresenceRow["status"];

export type Presence = { status: PresenceStatus; lastActivity: Date };

export type PresenceRepository = ReturnType<typeof createPresenceRepository>;

export function createPresenceRepository(db: Db) {
  return {
    /**
     * Records `status` as observed at `at`. An observation older than the stored one is ignored, so a
     * slow "offline" write from a closed connection cannot overwrite a newer "online" one.
     * Returns whether the row was written.
     */
    async setStatus(userId: string, status: PresenceStatus, at: Date): Promise<boolean> {
      const rows = await db
        .insert(userPresence)
        .values({ userId, status, lastActivity: at })
        .onConflictDoUpdate({
          target: userPresence.userId,
          set: { status, lastActivity: at },
          setWhere: sql`${userPresence.lastActivity} <= excluded.last_activity`,
        })
        .returning({ userId: userPresence.userId });
      return rows.length > 0;
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
