// Preloaded by bun test (bunfig.toml): opens the process-wide test database before the first test,
// so no file's own beforeAll or first test pays for opening PGlite, and any file passes on its own.
// Its afterAll runs after the process's last file, or after every file in a `bun test --parallel`
// worker: one of `bun run test` keeps the database and Chromium for its next files (suite-scratch.ts).
import { afterAll, beforeAll } from "bun:test";
import { closeTestDatabase, testDatabase } from "./database.ts";
import { releaseFileLeftovers, releaseProcessResources } from "./process-end.ts";
import { keepsOpenBetweenFiles } from "./suite-scratch.ts";

beforeAll(async () => {
  await testDatabase();
});
afterAll(async () => {
  if (keepsOpenBetweenFiles) return releaseFileLeftovers();
  try {
    await releaseProcessResources();
  } finally {
    await closeTestDatabase();
  }
});
