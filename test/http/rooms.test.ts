// /api/rooms over real HTTP: create, list, details and participants, with the authorization rules:
// a private room is 404 to outsiders, only admins add members, and malformed ids are 404, not 500.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Room, RoomDetails, RoomSummary } from "../../src/chat/types.ts";
import { testDriver } from "../support/database.ts";
import { UNKNOWN_ID } from "../support/chat.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { clientFor, expectFailure, signUp, type Client, type SignedUp, type Wire } from "./client.ts";

let server: TestServer;
let client: Client;
let ada: SignedUp;
let bob: SignedUp;
let eve: SignedUp;
beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server);
  ada = await signUp(client, "Ada");
  bob = await signUp(client, "Bob");
  eve = await signUp(client, "Eve");
});
afterAll(() => server.close());

async function createRoom(owner: SignedUp, body: Record<string, unknown>): Promise<Wire<Room>> {
  const reply = await client.post<Wire<Room>>("/api/rooms", body, owner.token);
  expect(reply.status).toBe(201);
  return reply.body.data;
}

const addParticipant = (actor: SignedUp, roomId: string, userId: unknown) =>
  client.post<{ roomId: string; userId: string; added: boolean }>(`/api/rooms/${roomId}/participants`, { userId }, actor.token);

describe(`POST /api/rooms (${testDriver})`, () => {
  test("201 with the room; the creator is its admin", async () => {
    const reply = await client.post<Wire<Room>>("/api/rooms", { name: " Calculus ", description: "weekly", isPublic: false, extra: "dropped" }, ada.token);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      success: true,
      data: {
        id: expect.any(String),
        name: "Calculus",
        description: "weekly",
        isPublic: false,
        createdBy: ada.id,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    const details = await client.get<Wire<RoomDetails>>(`/api/rooms/${reply.body.data.id}`, ada.token);
    expect(details.body.data.participants).toEqual([
      { role: "admin", joinedAt: expect.any(String), user: { id: ada.id, firstName: "Ada", lastName: "Tester", avatar: null, role: "student" } },
    ]);
  });

  test("a room is public unless isPublic is false", async () => {
    expect(await createRoom(ada, { name: "Defaults" })).toMatchObject({ isPublic: true, description: "" });
  });

  test("400 naming the field for bad input", async () => {
    expectFailure(await client.post("/api/rooms", {}, ada.token), 400, "INVALID", "name is required");
    expectFailure(await client.post("/api/rooms", { name: "  " }, ada.token), 400, "INVALID", "name must not be empty");
    expectFailure(await client.post("/api/rooms", { name: "x", isPublic: "yes" }, ada.token), 400, "INVALID", "isPublic must be a boolean");
    expectFailure(await client.post("/api/rooms", { name: "x", description: 5 }, ada.token), 400, "INVALID", "description must be a string");
  });

  test("401 without a token", async () => {
    expectFailure(await client.post("/api/rooms", { name: "x" }), 401, "TOKEN_MISSING");
    expectFailure(await client.get("/api/rooms"), 401, "TOKEN_MISSING");
  });
});

describe(`GET /api/rooms and /api/rooms/:id (${testDriver})`, () => {
  test("the list has public rooms and my private ones with participant counts, never others' private rooms", async () => {
    const open = await createRoom(ada, { name: "Open", isPublic: true });
    const secret = await createRoom(ada, { name: "Secret", isPublic: false });
    await addParticipant(ada, open.id, bob.id);
    const forAda = (await client.get<Wire<RoomSummary>[]>("/api/rooms", ada.token)).body.data;
    const forEve = (await client.get<Wire<RoomSummary>[]>("/api/rooms", eve.token)).body.data;
    expect(forAda.find((r) => r.id === open.id)).toMatchObject({ name: "Open", participantCount: 2 });
    expect(forAda.find((r) => r.id === secret.id)).toMatchObject({ participantCount: 1 });
    expect(forEve.some((r) => r.id === open.id)).toBe(true);
    expect(forEve.some((r) => r.id === secret.id)).toBe(false);
  });

  test("a public room's details are visible to anyone signed in", async () => {
    const open = await createRoom(ada, { name: "Open" });
    const reply = await client.get<Wire<RoomDetails>>(`/api/rooms/${open.id}`, eve.token);
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ id: open.id, participantCount: 1 });
  });

  test("a private room is 404 to a non-participant, exactly like a room that does not exist", async () => {
    const secret = await createRoom(ada, { name: "Secret", isPublic: false });
    const hidden = await client.get(`/api/rooms/${secret.id}`, eve.token);
    expectFailure(hidden, 404, "NOT_FOUND", "Room not found");
    expect(await client.get(`/api/rooms/${UNKNOWN_ID}`, eve.token)).toEqual(hidden);
  });

  test("malformed room ids are 404, not 500", async () => {
    for (const id of ["abc", "1", "' or 1=1 --", "%00"]) {
      expectFailure(await client.get(`/api/rooms/${encodeURIComponent(id)}`, ada.token), 404, "NOT_FOUND");
    }
  });
});

describe(`POST /api/rooms/:id/participants (${testDriver})`, () => {
  test("an admin adds a member (201), again is 200 with added false; the member then sees the private room", async () => {
    const secret = await createRoom(ada, { name: "Secret", isPublic: false });
    const first = await addParticipant(ada, secret.id, bob.id);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ success: true, data: { roomId: secret.id, userId: bob.id, added: true } });
    const again = await addParticipant(ada, secret.id, bob.id.toUpperCase());
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ roomId: secret.id, userId: bob.id, added: false });
    const seen = await client.get<Wire<RoomDetails>>(`/api/rooms/${secret.id}`, bob.token);
    expect(seen.status).toBe(200);
    expect(seen.body.data.participants.map((p) => [p.user.id, p.role])).toEqual([
      [ada.id, "admin"],
      [bob.id, "member"],
    ]);
  });

  test("403 for a member who is not an admin; the target is not added", async () => {
    const open = await createRoom(ada, { name: "Open" });
    await addParticipant(ada, open.id, bob.id);
    expectFailure(await addParticipant(bob, open.id, eve.id), 403, "FORBIDDEN", "Only room admins can add participants");
    expectFailure(await addParticipant(eve, open.id, eve.id), 403, "FORBIDDEN");
    const details = await client.get<Wire<RoomDetails>>(`/api/rooms/${open.id}`, ada.token);
    expect(details.body.data.participants.some((p) => p.user.id === eve.id)).toBe(false);
  });

  test("404 for an outsider of a private room: they cannot add themselves", async () => {
    const secret = await createRoom(ada, { name: "Secret", isPublic: false });
    expectFailure(await addParticipant(eve, secret.id, eve.id), 404, "NOT_FOUND", "Room not found");
    expectFailure(await client.get(`/api/rooms/${secret.id}`, eve.token), 404, "NOT_FOUND");
  });

  test("404 for an unknown user or room; 400 when userId is not a uuid", async () => {
    const open = await createRoom(ada, { name: "Open" });
    expectFailure(await addParticipant(ada, open.id, UNKNOWN_ID), 404, "NOT_FOUND", "User not found");
    expectFailure(await addParticipant(ada, UNKNOWN_ID, bob.id), 404, "NOT_FOUND", "Room not found");
    expectFailure(await addParticipant(ada, "nope", bob.id), 404, "NOT_FOUND", "Room not found");
    expectFailure(await addParticipant(ada, open.id, "bob"), 400, "INVALID", "userId must be a UUID");
    expectFailure(await addParticipant(ada, open.id, undefined), 400, "INVALID", "userId is required");
  });
});
