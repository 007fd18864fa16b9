// Preloaded by bun test (bunfig.toml): releases the process-wide test database after the last file.
// The case timeout comes from `bun run test` (--timeout): bunfig's [test] timeout is not applied by
// bun test 1.4.5, and setDefaultTimeout only reaches the one file it runs in.
import { afterAll } from "bun:test";
import { closeTestDatabase } from "./database.ts";

afterAll(closeTestDatabase);
