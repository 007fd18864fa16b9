// Migrations through Drizzle (either driver in this thread): apply the embedded ones, and count
// those not yet applied (the readiness check). The applying itself is in migrations.ts.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "./database.ts";
import type { Migration } from "./migration-files.ts";
import { embeddedMigrations, LAST_APPLIED, runMigrations, type MigrationReport } from "./migrations.ts";

export { embeddedMigrations, type MigrationReport } from "./migrations.ts";

export function migrate(db: Db, migrations: Migration[] = embeddedMigrations): Promise<MigrationReport> {
  return runMigrations(
    { inTransaction: (work) => db.transaction((tx) => work(async (text) => rowsOf<Record<string, unknown>>(await tx.execute(sql.raw(text))))) },
    migrations,
  );
}

/** Number of embedded migrations not yet applied (0 means the schema is current). */
export async function pendingMigrations(db: Db, migrations: Migration[] = embeddedMigrations): Promise<number> {
  const exists = await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!rowsOf<{ present: boolean }>(exists)[0]?.present) return migrations.length;
  const rows = await db.execute(sql.raw(LAST_APPLIED));
  const last = Number(rowsOf<{ created_at: string | number | null }>(rows)[0]?.created_at ?? 0);
  return migrations.filter((m) => m.createdAt > last).length;
}
