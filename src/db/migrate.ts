// Applies the migrations embedded from drizzle/ at start-up, on either driver, inside one
// transaction holding a Postgres advisory lock so two nodes starting together do not race.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "./database.ts";
import { readMigrationFiles } from "./migration-files.ts" with { type: "macro" };
import type { Migration } from "./migration-files.ts";

/** The migrations this build carries (inlined at bundle time by the macro import above). */
export const embeddedMigrations: Migration[] = readMigrationFiles();

// Arbitrary but fixed: every StudyConnect node contends for the same lock.
const MIGRATION_LOCK_KEY = 0x5c_0de_1;

// Same table layout as drizzle-kit's own migrator, so `drizzle-kit migrate` and we agree on state.
const ensureTable = [
  sql`create schema if not exists drizzle`,
  sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
];

export type MigrationReport = { applied: string[]; total: number };

export async function migrate(db: Db, migrations: Migration[] = embeddedMigrations): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    for (const statement of ensureTable) await tx.execute(statement);
    const rows = await tx.execute(
      sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
    );
    const last = Number(rowsOf<{ created_at: string | number | null }>(rows)[0]?.created_at ?? 0);
    const applied: string[] = [];
    for (const migration of migrations) {
      if (migration.createdAt <= last) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.createdAt})`,
      );
      applied.push(migration.tag);
    }
    return { applied, total: migrations.length };
  });
}

/** Number of embedded migrations not yet applied (0 means the schema is current). */
export async function pendingMigrations(db: Db, migrations: Migration[] = embeddedMigrations): Promise<number> {
  const exists = await db.execute(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!rowsOf<{ present: boolean }>(exists)[0]?.present) return migrations.length;
  const rows = await db.execute(
    sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
  );
  const last = Number(rowsOf<{ created_at: string | number | null }>(rows)[0]?.created_at ?? 0);
  return migrations.filter((m) => m.createdAt > last).length;
}
