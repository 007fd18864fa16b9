// /api/rooms: list, create (201; clients are told through the realtime notifier), details,
// adding participants (admins only) and the room's message history.
import { Hono } from "hono";
import type { ChatServices } from "../chat/index.ts";
import { requireUser, type AuthedEnv } from "./auth-middleware.ts";
import { successEnvelope } from "./envelope.ts";
import { readJsonBody, readQuery } from "./request.ts";
import { addParticipantBody, createRoomBody, historyQuery } from "./schemas.ts";

export function roomRoutes(chat: ChatServices): Hono<AuthedEnv> {
  const routes = new Hono<AuthedEnv>();
  routes.use("*", requireUser(chat.sessions));

  routes.get("/", async (c) => c.json(successEnvelope(await chat.rooms.list(c.var.user.id))));

  routes.post("/", async (c) => {
    const room = await chat.rooms.create(c.var.user.id, await readJsonBody(c, createRoomBody));
    return c.json(successEnvelope(room), 201);
  });

  routes.get("/:id", async (c) => c.json(successEnvelope(await chat.rooms.get(c.var.user.id, c.req.param("id")))));

  routes.post("/:id/participants", async (c) => {
    const body = await readJsonBody(c, addParticipantBody);
    const { room, userId, added } = await chat.rooms.addParticipant(c.var.user.id, c.req.param("id"), body.userId);
    return c.json(successEnvelope({ roomId: room.id, userId, added }), added ? 201 : 200);
  });

  routes.get("/:id/messages", async (c) => {
    const page = await chat.roomMessages.history(c.var.user.id, c.req.param("id"), readQuery(c, historyQuery));
    return c.json(successEnvelope(page));
  });
  return routes;
}
