// Preloaded by bun test (bunfig.toml): opens the process-wide test database before the first test,
// so no file's own beforeAll or first test pays for opening PGlite, and any file passes on its own;
// releases it, and what files shared (test/support/process-end.ts), after the last file. The case
// timeout comes from `bun run test` (--timeout).
import { afterAll, beforeAll } from "bun:test";
import { closeTestDatabase, testDatabase } from "./database.ts";
import { releaseProcessResources } from "./process-end.ts";

beforeAll(async () => {
  await testDatabase();
});
afterAll(async () => {
  try {
    await releaseProcessResources();
  } finally {
    await closeTestDatabase();
  }
});
