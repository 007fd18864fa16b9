// The entry point as a user runs it (`bun src/main.ts`): flags, config errors, start-up on the
// embedded database with a generated development secret, and graceful shutdown on SIGTERM.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { CONFIG_VARIABLES } from "../../src/config.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");

function run(args: string[], env: Record<string, string> = {}) {
  return Bun.spawnSync(["bun", MAIN, ...args], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
}

describe("src/main.ts", () => {
  test("--version prints the package version", () => {
    const result = run(["--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString().trim()).toBe(packageJson.version);
  });

  test("--help documents the environment", () => {
    const result = run(["--help"]);
    expect(result.exitCode).toBe(0);
    const text = result.stdout.toString();
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(20);
    expect(CONFIG_VARIABLES.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))).toEqual([]);
  });

  test("an unknown flag exits 2 with the usage", () => {
    const result = run(["--bogus"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("Unknown option: --bogus");
  });

  test("a bad configuration exits 1 with a readable message", () => {
    const result = run([], { PORT: "http" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain("PORT must be an integer");
  });

  test("starts on the embedded database, keeps a development secret, and exits 0 on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-main-"));
    try {
      const env: Record<string, string | undefined> = { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info" };
      delete env.DATABASE_URL;
      delete env.JWT_SECRET;
      const child = Bun.spawn(["bun", MAIN], { env, stdout: "ignore", stderr: "pipe" });
      const url = await readListeningUrl(child.stderr);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const secretFile = join(dataDir, "jwt-secret");
      expect(existsSync(secretFile)).toBe(true);
      expect(readFileSync(secretFile, "utf8").trim().length).toBeGreaterThanOrEqual(32);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Reads stderr until the "listening on http://host:port" line and returns that URL. */
async function readListeningUrl(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of stream) {
    seen += decoder.decode(chunk, { stream: true });
    const match = /listening on (http:\/\/[^\s]+)/.exec(seen);
    if (match?.[1]) return match[1];
  }
  throw new Error(`server exited before listening:\n${seen}`);
}
