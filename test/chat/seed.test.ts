// `bun run seed`: demo users and rooms through the use cases, idempotent, with working credentials;
// run twice in-process on the test database, and once as the script a developer runs (on PGlite: a
// process of its own opens its data directory, which costs seconds, so once is enough there).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_USERS, seedDemoData } from "../../src/seed.ts";
import { testDriver } from "../support/database.ts";
import { testChat } from "../support/chat.ts";

const SEED = join(import.meta.dir, "..", "..", "src", "seed.ts");

describe(`demo data (${testDriver})`, () => {
  test("a second run finds what the first made: same users, same rooms, no new messages", async () => {
    const { chat } = await testChat();
    const first = await seedDemoData(chat);
    const second = await seedDemoData(chat);
    expect(second.users.map((u) => u.id)).toEqual(first.users.map((u) => u.id));
    expect(second.rooms.map((r) => r.id)).toEqual(first.rooms.map((r) => r.id));
    const [ada, alan, grace] = first.users;
    const [calculus, thesis] = first.rooms;
    if (!ada || !alan || !grace || !calculus || !thesis) throw new Error("demo data incomplete");
    expect(calculus.isPublic).toBe(true);
    expect(thesis.isPublic).toBe(false);
    expect((await chat.roomMessages.history(alan.id, calculus.id, {})).messages.map((m) => m.text)).toHaveLength(2);
    expect((await chat.directMessages.history(alan.id, grace.id, {})).messages).toHaveLength(1);
    // The private room: Grace made it and added Ada; Alan cannot see it.
    expect((await chat.rooms.get(ada.id, thesis.id)).participantCount).toBe(2);
    expect((await chat.rooms.list(alan.id)).some((r) => r.id === thesis.id)).toBe(false);
    for (const account of DEMO_USERS) expect((await chat.accounts.login(account)).user.email).toBe(account.email);
  });

  test("the script seeds a fresh data directory and prints the credentials", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-seed-"));
    try {
      const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "warn" };
      delete env.DATABASE_URL;
      delete env.JWT_SECRET;
      const result = Bun.spawnSync(["bun", SEED], { env, stdout: "pipe", stderr: "pipe" });
      const out = result.stdout.toString();
      expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? "" : result.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
      for (const account of DEMO_USERS) expect(out).toContain(`${account.email}  /  ${account.password}`);
      expect(out).toContain("(public,");
      expect(out).toContain("(private,");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
