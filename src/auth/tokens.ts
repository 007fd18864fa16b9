// JWT issue and verification with jose: HS256 pinned, `sub` (user id) and `exp` required, a short
// clock tolerance. Verification never throws for bad input: it answers a result with a short reason.
import { errors, jwtVerify, SignJWT } from "jose";

import type { IssuedToken, TokenService, TokenVerification } from "../chat/ports.ts";

export type { IssuedToken, TokenFailureCode, TokenService, TokenVerification } from "../chat/ports.ts";

export type TokenServiceOptions = {
  secret: string;
  /** Lifetime of issued tokens; 7 days by default. */
  expiresInSeconds?: number;
  clockToleranceSeconds?: number;
  now?: () => Date;
};

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60;
const ALGORITHM = "HS256";
// Far above any token we issue; refuses to even parse megabytes of attacker input.
const MAX_TOKEN_LENGTH = 4096;

export function createTokenService(options: TokenServiceOptions): TokenService {
  // Imported once: jose would import a raw secret again for every token it signs or checks.
  const key = crypto.subtle.importKey("raw", new TextEncoder().encode(options.secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  const lifetime = options.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  const now = options.now ?? (() => new Date());

  return {
    async issue(userId) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const exp = issuedAt + lifetime;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
        .setSubject(userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .sign(await key);
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async verify(token) {
      if (token === undefined || token === null || token === "") {
        return { ok: false, code: "TOKEN_MISSING", reason: "Token not provided" };
      }
      if (typeof token !== "string") return invalid("jwt must be a string");
      if (token.length > MAX_TOKEN_LENGTH) return invalid("jwt malformed");
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: [ALGORITHM],
          requiredClaims: ["exp", "sub"],
          clockTolerance,
          currentDate: now(),
        });
        // jose only checks that `sub` is present; a non-string subject is not one of our tokens.
        if (typeof payload.sub !== "string" || payload.sub === "" || typeof payload.exp !== "number") {
          return invalid("jwt subject invalid");
        }
        return { ok: true, userId: payload.sub, expiresAt: new Date(payload.exp * 1000) };
      } catch (error) {
        return failureOf(error);
      }
    },
  };
}

function invalid(reason: string): TokenVerification {
  return { ok: false, code: "TOKEN_INVALID", reason };
}

// The reasons reuse jsonwebtoken's wording, which the seed's clients saw after "Authentication error: ".
function failureOf(error: unknown): TokenVerification {
  if (error instanceof errors.JWTExpired) return { ok: false, code: "TOKEN_EXPIRED", reason: "jwt expired" };
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("invalid signature");
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid("invalid algorithm");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return invalid(`jwt ${error.claim} required`);
    if (error.claim === "nbf") return invalid("jwt not active");
    return invalid(`jwt ${error.claim} invalid`);
  }
  if (error instanceof errors.JOSEError) return invalid("jwt malformed");
  // Not a verdict on the token but a bug or a broken runtime: let the caller's error handling see it.
  throw error;
}
