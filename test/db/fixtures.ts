// Shared set-up for the repository tests: the test database wiped clean, and users made in one line.
import { createRepositories, type Repositories, type User } from "../../src/db/repositories/index.ts";
import type { Database } from "../../src/db/database.ts";
import { resetDatabase, testDatabase } from "../support/database.ts";

export type Fixture = { database: Database; repos: Repositories };

/** The shared test database, emptied; call from beforeEach so no file depends on another's leftovers. */
export async function freshFixture(): Promise<Fixture> {
  const database = await testDatabase();
  await resetDatabase(database);
  return { database, repos: createRepositories(database) };
}

let sequence = 0;

export async function makeUser(repos: Repositories, firstName = "Ada"): Promise<User> {
  sequence += 1;
  const result = await repos.users.create({
    email: `${firstName.toLowerCase()}.${sequence}@example.test`,
    passwordHash: "hash",
    firstName,
    lastName: "Tester",
  });
  if (!result.ok) throw new Error(`fixture user not created: ${result.reason}`);
  return result.user;
}

/** A well-formed uuid that no row has. */
export const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";
