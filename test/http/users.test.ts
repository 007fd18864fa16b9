// GET /api/users/:id over real HTTP: public profile with presence; unknown and malformed ids are
// 404 (never 500); no email or password hash of another user is shown.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Profile } from "../../src/chat/types.ts";
import { schema } from "../../src/db/database.ts";
import { testDriver } from "../support/database.ts";
import { UNKNOWN_ID } from "../support/chat.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { clientFor, expectFailure, signUp, type Client, type Wire } from "./client.ts";

let server: TestServer;
let client: Client;
beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server);
});
afterAll(() => server.close());

describe(`GET /api/users/:id (${testDriver})`, () => {
  test("another user's profile: offline with no last activity before they ever connect", async () => {
    const me = await signUp(client, "Ada");
    const other = await signUp(client, "Bob");
    const reply = await client.get<Wire<Profile>>(`/api/users/${other.id}`, me.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      data: { id: other.id, firstName: "Bob", lastName: "Tester", role: "student", avatar: null, status: "offline", lastActivity: null },
    });
  });

  test("status and lastActivity follow the presence record", async () => {
    const me = await signUp(client);
    const other = await signUp(client);
    const at = new Date("2026-03-04T05:06:07.000Z");
    await server.app.database.db.insert(schema.userPresence).values({ userId: other.id, status: "online", lastActivity: at });
    const reply = await client.get<Wire<Profile>>(`/api/users/${other.id}`, me.token);
    expect(reply.body.data).toMatchObject({ status: "online", lastActivity: at.toISOString() });
  });

  test("404 for unknown and malformed ids", async () => {
    const me = await signUp(client);
    for (const id of [UNKNOWN_ID, "abc", "1", "00000000-0000-0000-0000-00000000000g"]) {
      expectFailure(await client.get(`/api/users/${id}`, me.token), 404, "NOT_FOUND", "User not found");
    }
  });

  test("401 without a token", async () => {
    const other = await signUp(client);
    expectFailure(await client.get(`/api/users/${other.id}`), 401, "TOKEN_MISSING");
  });
});
