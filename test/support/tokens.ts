// Hand-made JWTs for the authentication tests (REST now, the socket handshake later): expired,
// forged with another secret, signed with another algorithm, alg none, or missing claims.
import { SignJWT } from "jose";
import { TEST_JWT_SECRET } from "./server.ts";

export type Claims = { sub?: unknown; exp?: number; nbf?: number; iat?: number };

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * An `exp` (whole seconds) from `minMs` to `minMs` + 1 s away: a token that expires soon, yet after
 * the connection made with it is up, so the test waits for a real expiry as briefly as possible.
 */
export const expiringSoon = (minMs = 500): number => Math.ceil((Date.now() + minMs) / 1000);

/** Signs exactly the given claims (none added) with HS256 and the test secret unless told otherwise. */
export function signToken(claims: Claims, options: { alg?: string; secret?: string } = {}): Promise<string> {
  return new SignJWT(claims as Record<string, unknown>)
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export const base64urlJson = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** `header.payload.` with alg none: what a forger sends hoping the verifier trusts the header. */
export function unsignedToken(claims: Claims): string {
  return `${base64urlJson({ alg: "none", typ: "JWT" })}.${base64urlJson(claims)}.`;
}

export const FORGER_SECRET = "a-forger-s-own-secret-that-is-long-enough-0000";
