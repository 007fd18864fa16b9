// `Authorization: Bearer <jwt>` for REST: the token must verify and its user must still exist;
// otherwise 401 with the handshake's wording and code. The user is put on the context for routes.
import type { MiddlewareHandler } from "hono";
import type { Sessions } from "../chat/sessions.ts";
import type { User } from "../chat/types.ts";
import { UnauthorizedError } from "./errors.ts";

export type AuthedEnv = { Variables: { user: User } };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function requireUser(sessions: Sessions): MiddlewareHandler<AuthedEnv> {
  return async (c, next) => {
    const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
    const auth = await sessions.authenticate(token);
    if (!auth.ok) throw new UnauthorizedError(`Authentication error: ${auth.reason}`, auth.code);
    c.set("user", auth.user);
    await next();
  };
}
