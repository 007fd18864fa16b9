// Users: accounts and their lookups. Emails are stored trimmed and lower-cased, which is what makes
// the plain unique index on `email` case-insensitive; every lookup normalizes the same way.
import { eq, inArray } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import type { CreateUserResult, NewUser as DomainNewUser } from "../../chat/ports.ts";
import type { User, UserWithPassword } from "../../chat/types.ts";
import { users } from "../schema.ts";
import { isPgViolation, PG_UNIQUE_VIOLATION } from "./pg-error.ts";
import { createUserLookup } from "./user-lookup.ts";
import { isUuid } from "./uuid.ts";

// The domain's shapes (src/chat) are what this store takes and answers; only login needs the hash,
// so only the by-email lookup returns UserWithPassword.
export type { CreateUserResult, User, UserWithPassword };
export type { UserRole } from "../../chat/types.ts";

/** The seed and fixtures may also give an avatar. */
export type NewUser = DomainNewUser & { avatar?: string | null };

export type UsersRepository = ReturnType<typeof createUsersRepository>;

const userColumns = {
  id: users.id,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  role: users.role,
  avatar: users.avatar,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createUsersRepository(db: Db, jsonStatement: Database["jsonStatement"]) {
  const lookup = createUserLookup(jsonStatement);
  return {
    async create(input: NewUser): Promise<CreateUserResult> {
      try {
        const [user] = await db
          .insert(users)
          .values({
            email: normalizeEmail(input.email),
            passwordHash: input.passwordHash,
            firstName: input.firstName,
            lastName: input.lastName,
            role: input.role,
            avatar: input.avatar ?? null,
          })
          .returning(userColumns);
        if (!user) throw new Error("insert into users returned no row");
        return { ok: true, user };
      } catch (error) {
        // Checking first would race a concurrent registration; the unique index is the arbiter.
        if (isPgViolation(error, PG_UNIQUE_VIOLATION, "users_email_unique")) {
          return { ok: false, reason: "duplicate_email" };
        }
        throw error;
      }
    },

    /** Batched with the other lookups in flight (every socket handshake makes one). */
    async findById(id: string): Promise<User | undefined> {
      if (!isUuid(id)) return undefined;
      return lookup.byId(id.toLowerCase());
    },

    async findByEmail(email: string): Promise<UserWithPassword | undefined> {
      const [user] = await db
        .select({ ...userColumns, passwordHash: users.passwordHash })
        .from(users)
        .where(eq(users.email, normalizeEmail(email)))
        .limit(1);
      return user;
    },

    /** Users in the order their ids were first given; unknown and malformed ids are skipped. */
    async findManyByIds(ids: readonly string[]): Promise<User[]> {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return [];
      const rows = await db.select(userColumns).from(users).where(inArray(users.id, wanted));
      const byId = new Map(rows.map((user) => [user.id, user]));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    },
  };
}
