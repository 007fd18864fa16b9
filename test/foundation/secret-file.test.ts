// The development JWT secret: generated once into DATA_DIR, reused on the next start, and never
// generated when a secret is configured.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveJwtSecret, SECRET_FILE_NAME } from "../../src/auth/secret-file.ts";
import { createLogger } from "../../src/lib/logger.ts";

function withDir(body: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "studyconnect-secret-"));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("resolveJwtSecret", () => {
  test("a configured secret is used as is and no file is written", () =>
    withDir((dir) => {
      const secret = "c".repeat(40);
      expect(resolveJwtSecret(secret, dir, createLogger("silent"))).toBe(secret);
      expect(existsSync(join(dir, SECRET_FILE_NAME))).toBe(false);
    }));

  test("without one, a random secret is generated once, warned about, kept private, and reused", () =>
    withDir((dir) => {
      const warnings: string[] = [];
      const logger = createLogger("warn", (line) => warnings.push(line));
      const first = resolveJwtSecret(undefined, join(dir, "nested"), logger);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(warnings.join("\n")).toContain("JWT_SECRET is not set");
      expect(statSync(join(dir, "nested", SECRET_FILE_NAME)).mode & 0o777).toBe(0o600);
      expect(resolveJwtSecret(undefined, join(dir, "nested"), logger)).toBe(first);
      expect(resolveJwtSecret(undefined, join(dir, "other"), logger)).not.toBe(first);
    }));
});
