// Accounts and sessions on the real test database: registration rules, duplicate emails, login
// that answers alike for unknown emails and wrong passwords, and token authentication.
import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createPasswordHasher } from "../../src/auth/passwords.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { createAccounts } from "../../src/chat/accounts.ts";
import { DuplicateEmailError, InvalidCredentialsError, InvalidInputError, NotFoundError } from "../../src/chat/errors.ts";
import type { PasswordHasher } from "../../src/chat/ports.ts";
import { schema } from "../../src/db/database.ts";
import { testDatabase, testDriver } from "../support/database.ts";
import { registerUser, rejectionOf, TEST_PASSWORD, testChat, uniqueEmail, UNKNOWN_ID, type TestChat } from "../support/chat.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD_COST } from "../support/server.ts";
import { nowSeconds, signToken } from "../support/tokens.ts";

let t: TestChat;
beforeAll(async () => {
  t = await testChat();
});

const input = (email: string, overrides: Record<string, unknown> = {}) => ({
  email,
  password: TEST_PASSWORD,
  firstName: "Ada",
  lastName: "Lovelace",
  ...overrides,
});

describe(`accounts (${testDriver})`, () => {
  test("register stores a trimmed, lower-cased student account and signs it in", async () => {
    const email = uniqueEmail("Ada");
    const { user, token } = await t.chat.accounts.register(input(`  ${email.toUpperCase()} `, { firstName: "  Ada ", lastName: " Lovelace " }));
    expect(user).toMatchObject({ email: email.toLowerCase(), firstName: "Ada", lastName: "Lovelace", role: "student", avatar: null });
    expect(user).not.toHaveProperty("passwordHash");
    expect(await t.chat.sessions.authenticate(token)).toMatchObject({ ok: true, user: { id: user.id } });
    const stored = await t.repos.users.findByEmail(email);
    expect(stored?.passwordHash).toStartWith("$argon2id$");
  });

  test("a role in the input is ignored: self-registered accounts are students", async () => {
    const { user } = await t.chat.accounts.register({ ...input(uniqueEmail()), role: "admin" } as Parameters<typeof t.chat.accounts.register>[0]);
    expect(user.role).toBe("student");
  });

  test("a duplicate email is a DuplicateEmailError whatever its case", async () => {
    const email = uniqueEmail("dup");
    await t.chat.accounts.register(input(email));
    expect(await rejectionOf(t.chat.accounts.register(input(email.toUpperCase())))).toBeInstanceOf(DuplicateEmailError);
  });

  test("invalid input names the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: "not-an-email" }, "email"],
      [{ password: "short" }, "password"],
      [{ password: "x".repeat(257) }, "password"],
      [{ firstName: "  " }, "firstName"],
      [{ lastName: "x".repeat(101) }, "lastName"],
      [{ firstName: 7 }, "firstName"],
    ];
    for (const [overrides, field] of cases) {
      const error = await rejectionOf(t.chat.accounts.register(input(uniqueEmail(), overrides)));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field });
    }
  });

  test("login with the right password answers the user (no hash) and a token", async () => {
    const email = uniqueEmail("login");
    const registered = await t.chat.accounts.register(input(email));
    const { user, token } = await t.chat.accounts.login({ email: ` ${email.toUpperCase()}`, password: TEST_PASSWORD });
    expect(user).toEqual(registered.user);
    expect(user).not.toHaveProperty("passwordHash");
    expect(await t.chat.sessions.authenticate(token)).toMatchObject({ ok: true, user: { id: user.id } });
  });

  test("a wrong password and an unknown email fail the same way", async () => {
    const email = uniqueEmail("login");
    await t.chat.accounts.register(input(email));
    const wrong = await rejectionOf(t.chat.accounts.login({ email, password: "not the password" }));
    const unknown = await rejectionOf(t.chat.accounts.login({ email: uniqueEmail("nobody"), password: TEST_PASSWORD }));
    const malformed = await rejectionOf(t.chat.accounts.login({ email: "nope", password: 5 }));
    for (const error of [wrong, unknown, malformed]) {
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect(error).toMatchObject({ code: "UNAUTHORIZED", message: "Invalid email or password" });
    }
  });

  test("an unknown email still costs a password verification (no timing oracle)", async () => {
    const real = createPasswordHasher(TEST_PASSWORD_COST);
    const verified: string[] = [];
    const counting: PasswordHasher = {
      hash: real.hash,
      verify: (password, hash) => {
        verified.push(hash);
        return real.verify(password, hash);
      },
    };
    const accounts = createAccounts({ users: t.repos.users, passwords: counting, tokens: createTokenService({ secret: TEST_JWT_SECRET }) });
    await rejectionOf(accounts.login({ email: uniqueEmail("nobody"), password: TEST_PASSWORD }));
    await rejectionOf(accounts.login({ email: uniqueEmail("nobody"), password: TEST_PASSWORD }));
    expect(verified).toHaveLength(2);
    expect(verified[0]).toStartWith("$argon2id$");
  });

  test("me answers the account, or NotFound once it is gone", async () => {
    const { user } = await registerUser(t.chat);
    expect(await t.chat.accounts.me(user.id)).toEqual(user);
    expect(await rejectionOf(t.chat.accounts.me(UNKNOWN_ID))).toBeInstanceOf(NotFoundError);
  });
});

describe(`sessions (${testDriver})`, () => {
  test("a valid token authenticates its user with the token's expiry", async () => {
    const { user, token } = await registerUser(t.chat);
    const auth = await t.chat.sessions.authenticate(token);
    expect(auth).toEqual({ ok: true, user, expiresAt: expect.any(Date) });
  });

  test("token failures pass through with their codes", async () => {
    expect(await t.chat.sessions.authenticate(undefined)).toEqual({ ok: false, code: "TOKEN_MISSING", reason: "Token not provided" });
    expect(await t.chat.sessions.authenticate("x.y.z")).toMatchObject({ ok: false, code: "TOKEN_INVALID" });
  });

  test("a valid token for a user that no longer exists is USER_NOT_FOUND", async () => {
    const { user, token } = await registerUser(t.chat);
    await (await testDatabase()).db.delete(schema.users).where(eq(schema.users.id, user.id));
    expect(await t.chat.sessions.authenticate(token)).toEqual({ ok: false, code: "USER_NOT_FOUND", reason: "User not found" });
  });

  test("a correctly signed token whose subject is not a uuid is USER_NOT_FOUND, not a crash", async () => {
    const token = await signToken({ sub: "not-a-uuid", exp: nowSeconds() + 3600 });
    expect(await t.chat.sessions.authenticate(token)).toMatchObject({ ok: false, code: "USER_NOT_FOUND" });
  });
});
