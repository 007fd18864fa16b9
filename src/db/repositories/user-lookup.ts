// Looks users up by id with group commit: the lookups made while one is in flight go together in
// the next, as one prepared statement. A burst of sign-ins (every socket handshake reads its user)
// then costs a round trip per burst, and far less garbage than building a query per lookup.
import type { Database } from "../database.ts";
import { createGroupCommit } from "../../lib/group-commit.ts";
import type { User, UserRole } from "./users.ts";

const MAX_BATCH = 512;

const LOOKUP = `
  select id, email, first_name, last_name, role, avatar,
    floor(extract(epoch from created_at) * 1000)::float8 as created_ms,
    floor(extract(epoch from updated_at) * 1000)::float8 as updated_ms
  from users
  where id in (select value::uuid from json_array_elements_text($1::json))`;

type Row = {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: UserRole;
  avatar: string | null;
  created_ms: number | string;
  updated_ms: number | string;
};

const userOf = (row: Row): User => ({
  id: row.id,
  email: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
  role: row.role,
  avatar: row.avatar,
  createdAt: new Date(Number(row.created_ms)),
  updatedAt: new Date(Number(row.updated_ms)),
});

export type UserLookup = {
  /** `id` must be a canonical (lower-case) uuid. */
  byId(id: string): Promise<User | undefined>;
};

export function createUserLookup(jsonStatement: Database["jsonStatement"]): UserLookup {
  const statement = jsonStatement("studyconnect_users_by_id", LOOKUP);
  const batches = createGroupCommit<string, User | undefined>(
    async (ids) => {
      const rows = (await statement(JSON.stringify([...new Set(ids)]))) as Row[];
      const byId = new Map(rows.map((row) => [row.id, userOf(row)]));
      return ids.map((id) => byId.get(id));
    },
    { maxBatch: MAX_BATCH },
  );
  return { byId: (id) => batches.submit(id) };
}
