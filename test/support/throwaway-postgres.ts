// An empty Postgres database of a test's own, on the server `url` names, and its drop (with force,
// whatever is still connected): the suite's shared one, the fault databases, and tests that migrate
// a fresh database each make theirs here.
import postgres from "postgres";

export type ThrowawayPostgres = { name: string; url: string; drop(): Promise<void> };

const dropStatement = (name: string) => `drop database if exists "${name}" with (force)`;

// Postgres 15 copies the template through the WAL by default (WAL_LOG), about 7 MB of it for an empty
// database: 0.1 s of the server's CPU each on the test machines, against 0.03 s copying the files
// (FILE_COPY, two checkpoints that find little to write). The suite makes about 30 a run.
const FILE_COPY_SINCE = 150000;

export async function createThrowawayPostgres(url: string, name: string): Promise<ThrowawayPostgres> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [version] = await admin<{ server_version_num: string }[]>`show server_version_num`;
    const strategy = Number(version?.server_version_num) >= FILE_COPY_SINCE ? " strategy = file_copy" : "";
    await admin.unsafe(`create database "${name}"${strategy}`);
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
