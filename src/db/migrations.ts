// The migrations this build carries (drizzle/, inlined by a macro at bundle time) and how they are
// applied: in one transaction holding a Postgres advisory lock, so two nodes starting together do
// not race. Written against a bare "run this SQL" executor, so the PGlite worker needs no Drizzle.
import { readMigrationFiles } from "./migration-files.ts" with { type: "macro" };
import type { Migration } from "./migration-files.ts";

export const embeddedMigrations: Migration[] = readMigrationFiles();

export type MigrationReport = { applied: string[]; total: number };

/** Runs `work` in one transaction; `run` executes one SQL statement and answers its rows. */
export type MigrationExecutor = {
  inTransaction<T>(work: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T>;
};

// Arbitrary but fixed: every StudyConnect node contends for the same lock.
export const MIGRATION_LOCK_KEY = 0x5c_0de_1;

// Same table layout as drizzle-kit's own migrator, so `drizzle-kit migrate` and we agree on state.
const ENSURE_TABLE = [
  "create schema if not exists drizzle",
  "create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)",
];
export const LAST_APPLIED = "select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1";

export async function runMigrations(executor: MigrationExecutor, migrations: Migration[] = embeddedMigrations): Promise<MigrationReport> {
  return executor.inTransaction(async (run) => {
    // DB_STATEMENT_TIMEOUT_MS is for requests: a migration (an index on a big table) or the wait for
    // another node's may take longer, and a start that fails halfway helps no one.
    await run("set local statement_timeout = 0");
    await run(`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    for (const statement of ENSURE_TABLE) await run(statement);
    const last = Number((await run(LAST_APPLIED))[0]?.["created_at"] ?? 0);
    const applied: string[] = [];
    for (const migration of migrations) {
      if (migration.createdAt <= last) continue;
      for (const statement of migration.statements) await run(statement);
      // Both values are ours (a hex digest and a number): safe as literals.
      if (!/^[0-9a-f]+$/.test(migration.hash) || !Number.isSafeInteger(migration.createdAt)) throw new Error(`malformed migration ${migration.tag}`);
      await run(`insert into drizzle.__drizzle_migrations (hash, created_at) values ('${migration.hash}', ${migration.createdAt})`);
      applied.push(migration.tag);
    }
    return { applied, total: migrations.length };
  });
}
