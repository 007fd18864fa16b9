// What a database's migration table says, for the migration tests: how many embedded migrations are
// not applied yet (0 means the schema is current).
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../src/db/database.ts";
import { embeddedMigrations } from "../../src/db/migrate.ts";
import { LAST_APPLIED } from "../../src/db/migrations.ts";

export async function pendingMigrations(db: Db): Promise<number> {
  const exists = await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!rowsOf<{ present: boolean }>(exists)[0]?.present) return embeddedMigrations.length;
  const rows = await db.execute(sql.raw(LAST_APPLIED));
  const last = Number(rowsOf<{ created_at: string | number | null }>(rows)[0]?.created_at ?? 0);
  return embeddedMigrations.filter((m) => m.createdAt > last).length;
}
