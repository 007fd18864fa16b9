// /api/auth: register (201), login and "me". Both sign-ins answer `{ token, user }`; the user
// never carries a password hash (the domain's User type has none).
import { Hono } from "hono";
import type { ChatServices } from "../chat/index.ts";
import { requireUser, type AuthedEnv } from "./auth-middleware.ts";
import { successEnvelope } from "./envelope.ts";
import { readJsonBody } from "./request.ts";
import { loginBody, registerBody } from "./schemas.ts";

export function authRoutes(chat: ChatServices): Hono<AuthedEnv> {
  const routes = new Hono<AuthedEnv>();
  routes.post("/register", async (c) => {
    const signedIn = await chat.accounts.register(await readJsonBody(c, registerBody));
    return c.json(successEnvelope(signedIn), 201);
  });
  routes.post("/login", async (c) => {
    const signedIn = await chat.accounts.login(await readJsonBody(c, loginBody));
    return c.json(successEnvelope(signedIn));
  });
  routes.get("/me", requireUser(chat.sessions), (c) => c.json(successEnvelope(c.var.user)));
  return routes;
}
