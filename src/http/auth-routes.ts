// /api/auth: register (201), login and "me". Both sign-ins answer `{ token, user }`; the user
// never carries a password hash (the domain's User type has none). Failed logins are counted per
// account and per client address; past the limit, login answers 429 with Retry-After.
import { Hono } from "hono";
import { InvalidCredentialsError, RateLimitedError } from "../chat/errors.ts";
import type { ChatServices } from "../chat/index.ts";
import type { AttemptLimiter } from "../lib/attempt-limiter.ts";
import { requireUser, type AuthedEnv } from "./auth-middleware.ts";
import { successEnvelope } from "./envelope.ts";
import { requestAddress } from "./peer-address.ts";
import { readJsonBody } from "./request.ts";
import { loginBody, registerBody } from "./schemas.ts";

export type LoginLimits = {
  /** Failures per account (keyed by the lower-cased email, known or not: no account is revealed). */
  accounts: AttemptLimiter;
  /** Failures per client address. */
  addresses: AttemptLimiter;
  trustedProxies: ReadonlySet<string>;
};

export function authRoutes(chat: ChatServices, limits: LoginLimits): Hono<AuthedEnv> {
  const routes = new Hono<AuthedEnv>();
  routes.post("/register", async (c) => {
    const signedIn = await chat.accounts.register(await readJsonBody(c, registerBody));
    return c.json(successEnvelope(signedIn), 201);
  });
  routes.post("/login", async (c) => {
    const input = await readJsonBody(c, loginBody);
    const account = `account:${input.email.trim().toLowerCase()}`;
    const address = `address:${requestAddress(c, limits.trustedProxies)}`;
    const wait = Math.max(limits.accounts.blockedFor([account]), limits.addresses.blockedFor([address]));
    if (wait > 0) throw new RateLimitedError("Too many failed sign-in attempts; try again later", wait);
    try {
      const signedIn = await chat.accounts.login(input);
      limits.accounts.clear(account);
      return c.json(successEnvelope(signedIn));
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        limits.accounts.failed([account]);
        limits.addresses.failed([address]);
      }
      throw error;
    }
  });
  routes.get("/me", requireUser(chat.sessions), (c) => c.json(successEnvelope(c.var.user)));
  return routes;
}
