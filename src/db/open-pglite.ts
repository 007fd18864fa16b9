// Opens the embedded PGlite database in this thread (tests, and the in-memory database): the
// server runs it in a worker instead (pglite-worker-client.ts).
import { drizzle } from "drizzle-orm/pglite";
import { withDeadline } from "../lib/deadline.ts";
import type { Database, Db } from "./database.ts";
import { migrate } from "./migrate.ts";
import { createPgliteClient, pgliteStatements } from "./pglite-client.ts";
import * as schema from "./schema.ts";

export async function openPglite(dataDir: string | undefined, useSnapshot: boolean): Promise<Database> {
  const { client, origin } = await createPgliteClient(dataDir, useSnapshot);
  const db: Db = drizzle(client, { schema });
  return {
    db,
    driver: "pglite",
    origin,
    jsonStatement: pgliteStatements(client),
    migrate: () => migrate(db),
    async ping(timeoutMs) {
      const answered = client.query("select 1");
      await (timeoutMs === undefined ? answered : withDeadline(answered, timeoutMs));
    },
    replaceSilentConnections: () => 0,
    stats: () => ({ driver: "pglite", open: client.closed ? 0 : 1, max: 1, queued: undefined }),
    close: (timeoutMs = 5000) => withDeadline(client.close(), timeoutMs).catch(() => {}),
  };
}
