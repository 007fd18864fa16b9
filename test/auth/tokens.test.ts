// JWT issue and verification: HS256 pinned, sub and exp required, clock tolerance, and every kind
// of bad token answered as a result with the handshake's code and a short reason.
import { describe, expect, test } from "bun:test";
import { createTokenService } from "../../src/auth/tokens.ts";
import { TEST_JWT_SECRET } from "../support/server.ts";
import { base64urlJson, FORGER_SECRET, nowSeconds, signToken as sign, unsignedToken } from "../support/tokens.ts";

const SECRET = TEST_JWT_SECRET;
const USER_ID = "6f1c2a34-1111-4222-8333-444455556666";

describe("token service", () => {
  const tokens = createTokenService({ secret: SECRET });

  test("an issued token verifies to its user and expiry; it carries sub, iat and exp", async () => {
    const before = nowSeconds();
    const issued = await tokens.issue(USER_ID);
    const verified = await tokens.verify(issued.token);
    expect(verified).toEqual({ ok: true, userId: USER_ID, expiresAt: issued.expiresAt });
    const [header, payload] = issued.token.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
    expect(header).toEqual({ alg: "HS256", typ: "JWT" });
    expect(payload.sub).toBe(USER_ID);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp - payload.iat).toBe(7 * 24 * 60 * 60);
    expect(issued.expiresAt.getTime()).toBe(payload.exp * 1000);
  });

  test("the lifetime is a constructor parameter", async () => {
    const short = createTokenService({ secret: SECRET, expiresInSeconds: 60 });
    const issued = await short.issue(USER_ID);
    expect(issued.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(issued.expiresAt.getTime() - Date.now()).toBeGreaterThan(55_000);
  });

  test("absent tokens are TOKEN_MISSING", async () => {
    for (const token of [undefined, null, ""]) {
      expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_MISSING", reason: "Token not provided" });
    }
  });

  test("an expired token is TOKEN_EXPIRED: jwt expired", async () => {
    const token = await sign({ sub: USER_ID, exp: nowSeconds() - 60 });
    expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_EXPIRED", reason: "jwt expired" });
  });

  test("a token is expired for the clock the service is given, after a 5 s tolerance", async () => {
    const issued = await tokens.issue(USER_ID);
    const at = (ms: number) => createTokenService({ secret: SECRET, now: () => new Date(issued.expiresAt.getTime() + ms) });
    expect((await at(3_000).verify(issued.token)).ok).toBe(true);
    expect(await at(10_000).verify(issued.token)).toMatchObject({ ok: false, code: "TOKEN_EXPIRED" });
  });

  test("a token signed with another secret is TOKEN_INVALID: invalid signature", async () => {
    const token = await sign({ sub: USER_ID, exp: nowSeconds() + 60 }, { secret: FORGER_SECRET });
    expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "invalid signature" });
  });

  test("a tampered payload fails the signature", async () => {
    const [header, , signature] = (await tokens.issue(USER_ID)).token.split(".");
    const forged = `${header}.${base64urlJson({ sub: "00000000-0000-4000-8000-000000000001", exp: nowSeconds() + 60 })}.${signature}`;
    expect(await tokens.verify(forged)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "invalid signature" });
  });

  test("alg none is refused, with or without a signature part", async () => {
    const unsigned = unsignedToken({ sub: USER_ID, exp: nowSeconds() + 60 });
    for (const token of [unsigned, `${unsigned}c2lnbmF0dXJl`]) {
      expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "invalid algorithm" });
    }
  });

  test("other algorithms are refused even with the right secret", async () => {
    for (const alg of ["HS384", "HS512"]) {
      const token = await sign({ sub: USER_ID, exp: nowSeconds() + 60 }, { alg });
      expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "invalid algorithm" });
    }
  });

  test("tokens without exp, without sub, or with a non-string sub are refused", async () => {
    expect(await tokens.verify(await sign({ sub: USER_ID }))).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "jwt exp required" });
    expect(await tokens.verify(await sign({ exp: nowSeconds() + 60 }))).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "jwt sub required" });
    expect(await tokens.verify(await sign({ sub: 42, exp: nowSeconds() + 60 }))).toMatchObject({ ok: false, code: "TOKEN_INVALID" });
  });

  test("a token not yet valid (nbf in the future) is refused", async () => {
    const token = await sign({ sub: USER_ID, exp: nowSeconds() + 600, nbf: nowSeconds() + 300 });
    expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "jwt not active" });
  });

  test("garbage, non-strings and oversized input are TOKEN_INVALID without throwing", async () => {
    for (const token of ["abc", "a.b.c", "..", "Bearer x", "x".repeat(10_000)]) {
      expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "jwt malformed" });
    }
    for (const token of [42, {}, ["a"], true]) {
      expect(await tokens.verify(token)).toEqual({ ok: false, code: "TOKEN_INVALID", reason: "jwt must be a string" });
    }
  });
});
