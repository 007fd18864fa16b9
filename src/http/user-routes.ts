// /api/users/:id: another user's public profile with presence (status, lastActivity).
import { Hono } from "hono";
import type { ChatServices } from "../chat/index.ts";
import { requireUser, type AuthedEnv } from "./auth-middleware.ts";
import { successEnvelope } from "./envelope.ts";

export function userRoutes(chat: ChatServices): Hono<AuthedEnv> {
  const routes = new Hono<AuthedEnv>();
  routes.use("*", requireUser(chat.sessions));
  routes.get("/:id", async (c) => c.json(successEnvelope(await chat.profiles.get(c.req.param("id")))));
  return routes;
}
