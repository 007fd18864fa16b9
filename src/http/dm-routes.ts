// /api/dms/:userId/messages: the conversation between the signed-in user and :userId. The reader
// is always one of the two participants by construction, so no id in the URL can expose others'.
import { Hono } from "hono";
import type { ChatServices } from "../chat/index.ts";
import { requireUser, type AuthedEnv } from "./auth-middleware.ts";
import { successEnvelope } from "./envelope.ts";
import { readQuery } from "./request.ts";
import { historyQuery } from "./schemas.ts";

export function dmRoutes(chat: ChatServices): Hono<AuthedEnv> {
  const routes = new Hono<AuthedEnv>();
  routes.use("*", requireUser(chat.sessions));
  routes.get("/:userId/messages", async (c) => {
    const page = await chat.directMessages.history(c.var.user.id, c.req.param("userId"), readQuery(c, historyQuery));
    return c.json(successEnvelope(page));
  });
  return routes;
}
