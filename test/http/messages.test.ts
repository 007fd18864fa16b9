// Message history over real HTTP: room history (public: anyone signed in; private: participants),
// direct-message history that only ever shows "me and :userId", cursor pages, and bad page input.
// Messages are sent through the use cases: sending is a socket event, not a REST endpoint.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DirectMessage, MessagePage, Room, RoomMessage } from "../../src/chat/types.ts";
import { testDriver } from "../support/database.ts";
import { UNKNOWN_ID } from "../support/chat.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { clientFor, expectFailure, signUp, type Client, type SignedUp, type Wire } from "./client.ts";

let server: TestServer;
let client: Client;
let ada: SignedUp;
let bob: SignedUp;
let cid: SignedUp;
beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server);
  ada = await signUp(client, "Ada");
  bob = await signUp(client, "Bob");
  cid = await signUp(client, "Cid");
});
afterAll(() => server.close());

async function createRoom(owner: SignedUp, isPublic: boolean): Promise<Wire<Room>> {
  return (await client.post<Wire<Room>>("/api/rooms", { name: "History", isPublic }, owner.token)).body.data;
}

const sayInRoom = async (user: SignedUp, roomId: string, text: string) =>
  (await server.app.chat.roomMessages.send({ userId: user.id, roomId, text })).message.id;
const sayTo = async (from: SignedUp, to: SignedUp, text: string) =>
  (await server.app.chat.directMessages.send({ senderId: from.id, recipientId: to.id, text })).message.id;

/** Follows nextBefore until the end, as a client scrolling up would; answers every id seen. */
async function readAll(path: string, reader: SignedUp, limit: number): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let before: number | null = null;
  let pages = 0;
  do {
    const query: string = before === null ? `?limit=${limit}` : `?limit=${limit}&before=${before}`;
    const reply = await client.get<Wire<MessagePage<{ id: number }>>>(`${path}${query}`, reader.token);
    expect(reply.status).toBe(200);
    ids.push(...reply.body.data.messages.map((m) => m.id));
    before = reply.body.data.nextBefore;
    pages++;
  } while (before !== null);
  return { ids, pages };
}

describe(`GET /api/rooms/:id/messages (${testDriver})`, () => {
  test("newest first, each with its sender (no email), clientId and timestamp", async () => {
    const room = await createRoom(ada, true);
    await server.app.chat.rooms.join(bob.id, room.id);
    await sayInRoom(ada, room.id, "first");
    await server.app.chat.roomMessages.send({ userId: bob.id, roomId: room.id, text: "second", clientId: "c-1" });
    const reply = await client.get<Wire<MessagePage<RoomMessage>>>(`/api/rooms/${room.id}/messages`, ada.token);
    expect(reply.status).toBe(200);
    expect(reply.body.data.nextBefore).toBeNull();
    expect(reply.body.data.messages).toEqual([
      { id: expect.any(Number), roomId: room.id, sender: { id: bob.id, firstName: "Bob", lastName: "Tester", avatar: null }, text: "second", clientId: "c-1", createdAt: expect.any(String) },
      { id: expect.any(Number), roomId: room.id, sender: { id: ada.id, firstName: "Ada", lastName: "Tester", avatar: null }, text: "first", clientId: null, createdAt: expect.any(String) },
    ]);
  });

  test("pages follow the cursor with no gaps and no duplicates", async () => {
    const room = await createRoom(ada, true);
    const sent: number[] = [];
    for (let i = 0; i < 23; i++) sent.push(await sayInRoom(ada, room.id, `m${i}`));
    const { ids, pages } = await readAll(`/api/rooms/${room.id}/messages`, bob, 10);
    expect(ids).toEqual([...sent].reverse());
    expect(pages).toBe(3);
    const defaultPage = await client.get<Wire<MessagePage<RoomMessage>>>(`/api/rooms/${room.id}/messages`, bob.token);
    expect(defaultPage.body.data.messages).toHaveLength(23);
  });

  test("a public room's history is open to any signed-in user; a private one is 404 to outsiders", async () => {
    const open = await createRoom(ada, true);
    const secret = await createRoom(ada, false);
    await sayInRoom(ada, open.id, "hello all");
    await sayInRoom(ada, secret.id, "hello few");
    const outsiderOpen = await client.get<Wire<MessagePage<RoomMessage>>>(`/api/rooms/${open.id}/messages`, cid.token);
    expect(outsiderOpen.body.data.messages.map((m) => m.text)).toEqual(["hello all"]);
    expectFailure(await client.get(`/api/rooms/${secret.id}/messages`, cid.token), 404, "NOT_FOUND", "Room not found");
    await client.post(`/api/rooms/${secret.id}/participants`, { userId: cid.id }, ada.token);
    const member = await client.get<Wire<MessagePage<RoomMessage>>>(`/api/rooms/${secret.id}/messages`, cid.token);
    expect(member.body.data.messages.map((m) => m.text)).toEqual(["hello few"]);
  });

  test("400 for a limit outside 1..100 or a cursor that is not a positive integer; 404 for bad room ids", async () => {
    const room = await createRoom(ada, true);
    const path = `/api/rooms/${room.id}/messages`;
    expectFailure(await client.get(`${path}?limit=101`, ada.token), 400, "INVALID", "limit must be an integer between 1 and 100");
    expectFailure(await client.get(`${path}?limit=0`, ada.token), 400, "INVALID", "limit must be an integer between 1 and 100");
    expectFailure(await client.get(`${path}?limit=ten`, ada.token), 400, "INVALID", "limit must be a positive integer");
    expectFailure(await client.get(`${path}?limit=-5`, ada.token), 400, "INVALID", "limit must be a positive integer");
    expectFailure(await client.get(`${path}?before=abc`, ada.token), 400, "INVALID", "before must be a positive integer");
    expectFailure(await client.get(`${path}?before=1.5`, ada.token), 400, "INVALID", "before must be a positive integer");
    expectFailure(await client.get(`${path}?before=0`, ada.token), 400, "INVALID", "before must be a positive integer message id");
    expectFailure(await client.get(`${path}?before=99999999999999999999`, ada.token), 400, "INVALID");
    expect((await client.get(`${path}?limit=100&before=1`, ada.token)).status).toBe(200);
    expectFailure(await client.get(`/api/rooms/not-a-uuid/messages`, ada.token), 404, "NOT_FOUND");
    expectFailure(await client.get(`/api/rooms/${UNKNOWN_ID}/messages`, ada.token), 404, "NOT_FOUND");
  });

  test("401 without a token", async () => {
    const room = await createRoom(ada, true);
    expectFailure(await client.get(`/api/rooms/${room.id}/messages`), 401, "TOKEN_MISSING");
  });
});

describe(`GET /api/dms/:userId/messages (${testDriver})`, () => {
  test("both directions of my conversation with :userId, newest first, with senders", async () => {
    const a = await signUp(client, "Ann");
    const b = await signUp(client, "Ben");
    await sayTo(a, b, "hi Ben");
    await sayTo(b, a, "hi Ann");
    const reply = await client.get<Wire<MessagePage<DirectMessage>>>(`/api/dms/${b.id}/messages`, a.token);
    expect(reply.status).toBe(200);
    expect(reply.body.data.messages.map((m) => [m.sender.id, m.recipientId, m.text])).toEqual([
      [b.id, a.id, "hi Ann"],
      [a.id, b.id, "hi Ben"],
    ]);
    const fromB = await client.get<Wire<MessagePage<DirectMessage>>>(`/api/dms/${a.id}/messages`, b.token);
    expect(fromB.body.data).toEqual(reply.body.data);
  });

  test("no IDOR: a third user naming either participant reads only their own conversation with them", async () => {
    const a = await signUp(client, "Ann");
    const b = await signUp(client, "Ben");
    const c = await signUp(client, "Cat");
    await sayTo(a, b, "private to Ben");
    await sayTo(b, a, "private to Ann");
    for (const other of [a, b]) {
      const reply = await client.get<Wire<MessagePage<DirectMessage>>>(`/api/dms/${other.id}/messages`, c.token);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ messages: [], nextBefore: null });
    }
    await sayTo(a, c, "hello Cat");
    const withA = await client.get<Wire<MessagePage<DirectMessage>>>(`/api/dms/${a.id}/messages`, c.token);
    expect(withA.body.data.messages.map((m) => m.text)).toEqual(["hello Cat"]);
  });

  test("pages follow the cursor with no gaps and no duplicates", async () => {
    const a = await signUp(client, "Ann");
    const b = await signUp(client, "Ben");
    const sent: number[] = [];
    for (let i = 0; i < 9; i++) sent.push(await (i % 3 ? sayTo(a, b, `d${i}`) : sayTo(b, a, `d${i}`)));
    const { ids, pages } = await readAll(`/api/dms/${b.id}/messages`, a, 4);
    expect(ids).toEqual([...sent].reverse());
    expect(pages).toBe(3);
  });

  test("404 for an unknown or malformed user id; 400 for a bad page; 401 without a token", async () => {
    expectFailure(await client.get(`/api/dms/${UNKNOWN_ID}/messages`, ada.token), 404, "NOT_FOUND", "User not found");
    expectFailure(await client.get(`/api/dms/not-a-uuid/messages`, ada.token), 404, "NOT_FOUND", "User not found");
    expectFailure(await client.get(`/api/dms/${bob.id}/messages?limit=500`, ada.token), 400, "INVALID");
    expectFailure(await client.get(`/api/dms/${bob.id}/messages`), 401, "TOKEN_MISSING");
  });
});
