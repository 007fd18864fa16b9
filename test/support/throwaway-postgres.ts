// An empty Postgres database of a test's own, on the server `url` names, and its drop (with force,
// whatever is still connected): the suite's shared one, the fault databases, and tests that migrate
// a fresh database each make theirs here.
import postgres from "postgres";

export type ThrowawayPostgres = { name: string; url: string; drop(): Promise<void> };

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
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}
