// /api/auth over real HTTP: register, login and me, their failure envelopes, and the bearer-token
// middleware against expired, forged, alg-none and claim-less tokens and deleted users.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { SignedIn } from "../../src/chat/accounts.ts";
import type { User } from "../../src/chat/types.ts";
import { schema } from "../../src/db/database.ts";
import { testDatabase, testDriver } from "../support/database.ts";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { FORGER_SECRET, nowSeconds, signToken, unsignedToken } from "../support/tokens.ts";
import { clientFor, expectFailure, signUp, type Client, type Wire } from "./client.ts";

let server: TestServer;
let client: Client;
beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server);
});
afterAll(() => server.close());

const inOneHour = () => nowSeconds() + 3600;

function registration(overrides: Record<string, unknown> = {}) {
  return { email: uniqueEmail(), password: TEST_PASSWORD, firstName: "Ada", lastName: "Lovelace", ...overrides };
}

describe(`POST /api/auth/register (${testDriver})`, () => {
  test("201 with a token and the user; no password hash anywhere", async () => {
    const input = registration();
    const reply = await client.post<Wire<SignedIn>>("/api/auth/register", input);
    expect(reply.status).toBe(201);
    expect(reply.body.success).toBe(true);
    expect(reply.body.data.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(reply.body.data.user).toEqual({
      id: expect.any(String),
      email: input.email,
      firstName: "Ada",
      lastName: "Lovelace",
      role: "student",
      avatar: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(reply.body)).not.toContain("argon2");
    expect(JSON.stringify(reply.body)).not.toContain("password");
  });

  test("409 for an email already registered, whatever its case", async () => {
    const input = registration();
    expect((await client.post("/api/auth/register", input)).status).toBe(201);
    const again = await client.post("/api/auth/register", { ...input, email: `  ${input.email.toUpperCase()}` });
    expectFailure(again, 409, "CONFLICT", "An account with this email already exists");
  });

  test("400 naming the field for missing, mistyped or invalid fields", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: undefined }, "email is required"],
      [{ password: 12345678 }, "password must be a string"],
      [{ email: "not-an-email" }, "email must be a valid email address"],
      [{ password: "short" }, "password must be at least 8 characters"],
      [{ firstName: "   " }, "firstName must not be empty"],
      [{ lastName: "x".repeat(101) }, "lastName must be at most 100 characters"],
    ];
    for (const [overrides, message] of cases) {
      expectFailure(await client.post("/api/auth/register", registration(overrides)), 400, "INVALID", message);
    }
  });

  test("400 for malformed JSON and for bodies that are not objects", async () => {
    const malformed = await client.request("POST", "/api/auth/register", { rawBody: '{"email": ', headers: { "Content-Type": "application/json" } });
    expectFailure(malformed, 400, "INVALID", "Malformed JSON in request body");
    for (const rawBody of ["[]", "null", '"text"', "42", ""]) {
      const reply = await client.request("POST", "/api/auth/register", { rawBody, headers: { "Content-Type": "application/json" } });
      expectFailure(reply, 400, "INVALID");
    }
  });

  test("413 for a body over 64 KiB", async () => {
    const reply = await client.post("/api/auth/register", registration({ firstName: "x".repeat(70 * 1024) }));
    expectFailure(reply, 413, "PAYLOAD_TOO_LARGE");
  });
});

describe(`POST /api/auth/login (${testDriver})`, () => {
  test("the right password answers a working token and the user", async () => {
    const input = registration();
    const registered = await client.post<Wire<SignedIn>>("/api/auth/register", input);
    const reply = await client.post<Wire<SignedIn>>("/api/auth/login", { email: input.email.toUpperCase(), password: TEST_PASSWORD });
    expect(reply.status).toBe(200);
    expect(reply.body.data.user).toEqual(registered.body.data.user);
    const me = await client.get<Wire<User>>("/api/auth/me", reply.body.data.token);
    expect(me.body.data.id).toBe(registered.body.data.user.id);
  });

  test("401 with the same envelope for a wrong password and an unknown email", async () => {
    const input = registration();
    await client.post("/api/auth/register", input);
    const wrong = await client.post("/api/auth/login", { email: input.email, password: "wrong password" });
    const unknown = await client.post("/api/auth/login", { email: uniqueEmail("nobody"), password: TEST_PASSWORD });
    expectFailure(wrong, 401, "UNAUTHORIZED", "Invalid email or password");
    expect(unknown).toEqual(wrong);
  });

  test("400 when a field is missing", async () => {
    expectFailure(await client.post("/api/auth/login", { email: uniqueEmail() }), 400, "INVALID", "password is required");
  });
});

describe(`GET /api/auth/me and the bearer middleware (${testDriver})`, () => {
  test("answers the signed-in user", async () => {
    const account = await signUp(client, "Grace");
    const reply = await client.get<Wire<User>>("/api/auth/me", account.token);
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ id: account.id, email: account.email, firstName: "Grace" });
    expect(reply.body.data).not.toHaveProperty("passwordHash");
  });

  test("401 TOKEN_MISSING without a bearer token", async () => {
    expectFailure(await client.get("/api/auth/me"), 401, "TOKEN_MISSING", "Authentication error: Token not provided");
    const basic = await client.request("GET", "/api/auth/me", { headers: { Authorization: "Basic YTpi" } });
    expectFailure(basic, 401, "TOKEN_MISSING");
  });

  test("401 TOKEN_EXPIRED for an expired token", async () => {
    const { id } = await signUp(client);
    const token = await signToken({ sub: id, exp: nowSeconds() - 60 });
    expectFailure(await client.get("/api/auth/me", token), 401, "TOKEN_EXPIRED", "Authentication error: jwt expired");
  });

  test("401 TOKEN_INVALID for a token signed with another secret", async () => {
    const { id } = await signUp(client);
    const token = await signToken({ sub: id, exp: inOneHour() }, { secret: FORGER_SECRET });
    expectFailure(await client.get("/api/auth/me", token), 401, "TOKEN_INVALID", "Authentication error: invalid signature");
  });

  test("401 TOKEN_INVALID for an alg none token", async () => {
    const { id } = await signUp(client);
    const token = unsignedToken({ sub: id, exp: inOneHour() });
    expectFailure(await client.get("/api/auth/me", token), 401, "TOKEN_INVALID", "Authentication error: invalid algorithm");
  });

  test("401 TOKEN_INVALID for tokens without sub or exp, and for garbage", async () => {
    const { id } = await signUp(client);
    const noSub = await signToken({ exp: inOneHour() });
    const noExp = await signToken({ sub: id });
    expectFailure(await client.get("/api/auth/me", noSub), 401, "TOKEN_INVALID", "Authentication error: jwt sub required");
    expectFailure(await client.get("/api/auth/me", noExp), 401, "TOKEN_INVALID", "Authentication error: jwt exp required");
    expectFailure(await client.get("/api/auth/me", "not.a.jwt"), 401, "TOKEN_INVALID", "Authentication error: jwt malformed");
  });

  test("401 USER_NOT_FOUND when the token's user was deleted", async () => {
    const account = await signUp(client);
    await (await testDatabase()).db.delete(schema.users).where(eq(schema.users.id, account.id));
    expectFailure(await client.get("/api/auth/me", account.token), 401, "USER_NOT_FOUND", "Authentication error: User not found");
  });
});
