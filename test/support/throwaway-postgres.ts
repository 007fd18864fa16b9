// An empty Postgres database of a test's own, on the server `url` names, and its drop (with force,
// whatever is still connected): the suite's shared one, the fault databases, and tests that migrate
// a fresh database each make theirs here.
import postgres from "postgres";

export type ThrowawayPostgres = { name: string; url: string; drop(): Promise<void> };

const dropStatement = (name: string) => `drop database if exists "${name}" with (force)`;

export async function createThrowawayPostgres(url: string, name: string): Promise<ThrowawayPostgres> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    await admin.end({ timeout: 1 });
    throw error;
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    name,
    url: target.toString(),
    async drop() {
      await admin.unsafe(dropStatement(name));
      await admin.end({ timeout: 1 });
    },
  };
}

/** Drops database `name` on the server `url` names (connecting to `url`'s database), if it is there. */
export async function dropPostgresDatabase(url: string, name: string): Promise<void> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(dropStatement(name));
  } finally {
    await admin.end({ timeout: 1 });
  }
}
