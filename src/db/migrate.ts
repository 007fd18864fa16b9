// Migrations through Drizzle: apply the embedded ones (PGlite in this thread; the server on Postgres
// uses migratePostgres in open-postgres.ts instead). The applying itself is in migrations.ts.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "./database.ts";
import type { Migration } from "./migration-files.ts";
import { embeddedMigrations, runMigrations, type MigrationReport } from "./migrations.ts";

export { embeddedMigrations, type MigrationReport } from "./migrations.ts";

export function migrate(db: Db, migrations: Migration[] = embeddedMigrations): Promise<MigrationReport> {
  return runMigrations(
    { inTransaction: (work) => db.transaction((tx) => work(async (text) => rowsOf<Record<string, unknown>>(await tx.execute(sql.raw(text))))) },
    migrations,
  );
}
