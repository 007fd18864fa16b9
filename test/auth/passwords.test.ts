// Password hashing: argon2id through Bun.password, salted, and verifiable whatever cost made the hash.
import { describe, expect, test } from "bun:test";
import { createPasswordHasher } from "../../src/auth/passwords.ts";
import { TEST_PASSWORD_COST } from "../support/server.ts";

describe("password hasher", () => {
  const hasher = createPasswordHasher(TEST_PASSWORD_COST);

  test("hashes with argon2id at the configured cost, never storing the password", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).toStartWith("$argon2id$");
    expect(hash).toContain("m=1024,t=1");
    expect(hash).not.toContain("correct horse");
  });

  test("verifies the right password and refuses a wrong one", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(await hasher.verify("correct horse battery staple", hash)).toBe(true);
    expect(await hasher.verify("correct horse battery stapl", hash)).toBe(false);
    expect(await hasher.verify("", hash)).toBe(false);
  });

  test("salts: the same password hashes differently each time", async () => {
    expect(await hasher.hash("same password")).not.toBe(await hasher.hash("same password"));
  });

  test("the default cost is OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane), and hashes verify across costs", async () => {
    const strong = createPasswordHasher();
    const hash = await strong.hash("s3cret-password");
    expect(hash).toContain("m=19456,t=2,p=1");
    expect(await hasher.verify("s3cret-password", hash)).toBe(true);
    // Hashes made at an older, higher cost still verify: the parameters are read from the hash.
    const older = await Bun.password.hash("s3cret-password", { algorithm: "argon2id", memoryCost: 65536, timeCost: 2 });
    expect(await strong.verify("s3cret-password", older)).toBe(true);
  });
});
