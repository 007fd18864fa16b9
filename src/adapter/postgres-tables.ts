// The tables the Postgres adapter keeps (attachments, session snapshots): their configured names,
// checked and quoted, and their creation by whichever node comes first.
import type { PostgresBusClient } from "./postgres-client.ts";

/**
 * `table` or `schema.table`, split and checked: each part an identifier of at most `maxPartLength`
 * characters (Postgres keeps 63; less where a suffix is added). Anything else is a programming
 * error, refused at creation.
 */
export function tableNameParts(name: string, what: string, maxPartLength = 63): string[] {
  const identifier = new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${maxPartLength - 1}}$`);
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((part) => identifier.test(part))) throw new Error(`invalid ${what} name: ${JSON.stringify(name)}`);
  return parts;
}

/** Checked parts (tableNameParts), quoted and joined. */
export function quoteParts(parts: readonly string[]): string {
  return parts.map((part) => `"${part}"`).join(".");
}

/** A table created by another node between our check and our CREATE: unique_violation on its type, or duplicate_table. */
function isCreateRace(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error.code === "23505" || error.code === "42P07");
}

/** Runs `CREATE TABLE IF NOT EXISTS` statements in order; another node creating one at the same moment is no failure. */
export async function createTables(client: Pick<PostgresBusClient, "unsafe">, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    try {
      await client.unsafe(statement);
    } catch (error) {
      if (!isCreateRace(error)) throw error;
    }
  }
}
