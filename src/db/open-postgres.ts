// Opens PostgreSQL through postgres.js, for DATABASE_URL: a connection pool behind Drizzle.
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Database, Db } from "./database.ts";
import { migrate } from "./migrate.ts";
import * as schema from "./schema.ts";

export function openPostgres(url: string, maxConnections = 10): Database {
  // onnotice: postgres.js logs NOTICEs (e.g. "schema already exists") to stdout by default.
  const client = postgres(url, { max: maxConnections, onnotice: () => {} });
  const db: Db = drizzle(client, { schema });
  return {
    db,
    driver: "postgres",
    // postgres.js names and caches prepared statements per connection by itself.
    jsonStatement: (_name, text) => async (json) => client.unsafe(text, [json], { prepare: true }),
    migrate: () => migrate(db),
    ping: async () => void (await client`select 1`),
    close: () => client.end({ timeout: 5 }),
  };
}
