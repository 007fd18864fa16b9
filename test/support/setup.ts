// Preloaded by bun test (bunfig.toml): releases the process-wide test database after the last file.
import { afterAll } from "bun:test";
import { closeTestDatabase } from "./database.ts";

afterAll(closeTestDatabase);
