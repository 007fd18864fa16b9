// room:join / room:leave and room:created over real sockets: access (public, private participants),
// the announcements to the others (per user, not per tab), idempotent joins, leave keeping the membership.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerUser, UNKNOWN_ID } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { barrier, expectNone } from "../support/chat-client.ts";
import { record, waitFor, type ClientSocket } from "../support/sio-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ack = (socket: ClientSocket, event: string, payload: unknown) => socket.timeout(2000).emitWithAck(event, payload);

describe(`rooms over sockets (${testDriver})`, () => {
  test("join: ack with the room, room:userJoined to the others, a second join acks without a broadcast", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const room = await server.app.chat.rooms.create(ada.user.id, { name: "Algebra", isPublic: true });
    const a = await server.connect(ada.token);
    const b = await server.connect(bob.token);
    expect(await ack(a, "room:join", room.id)).toMatchObject({ ok: true, data: { id: room.id, name: "Algebra", isPublic: true } });

    const joined = waitFor(a, "room:userJoined");
    const quietForBob = expectNone(b, "room:userJoined");
    // Upper-case spelling of the id: the same room.
    expect(await ack(b, "room:join", room.id.toUpperCase())).toMatchObject({ ok: true, data: { id: room.id } });
    expect(await joined).toEqual([
      { roomId: room.id, user: { id: bob.user.id, firstName: "Bob", lastName: "Tester", role: "student", avatar: null } },
    ]);
    await quietForBob.check();
    expect(await server.app.chat.rooms.get(bob.user.id, room.id)).toMatchObject({ participantCount: 2 });

    const again = expectNone(a, "room:userJoined");
    expect(await ack(b, "room:join", room.id)).toMatchObject({ ok: true });
    await again.check();
  });

  test("rooms announce users, not tabs: a second tab joining, or one of two leaving, is not news", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const room = await server.app.chat.rooms.create(ada.user.id, { name: "Tabs" });
    const a = await server.connect(ada.token);
    await ack(a, "room:join", room.id);
    const joins = record(a, "room:userJoined");
    const leaves = record(a, "room:userLeft");
    const [b1, b2] = [await server.connect(bob.token), await server.connect(bob.token)];
    // Both tabs at once: the user is announced once.
    await Promise.all([ack(b1, "room:join", room.id), ack(b2, "room:join", room.id)]);
    await ack(b1, "room:leave", room.id);
    await barrier(a);
    expect(leaves).toEqual([]);
    await ack(b2, "room:leave", room.id);
    await barrier(a);
    expect(joins.map(([payload]) => (payload as { user: { id: string } }).user.id)).toEqual([bob.user.id]);
    expect(leaves).toEqual([[{ roomId: room.id, userId: bob.user.id }]]);
  });

  test("a private room is NOT_FOUND to outsiders, exactly like an unknown one; bad ids are INVALID", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const eve = await registerUser(server.app.chat, "Eve");
    const secret = await server.app.chat.rooms.create(ada.user.id, { name: "Secret", isPublic: false });
    const e = await server.connect(eve.token);
    const notFound = { ok: false, error: { code: "NOT_FOUND", message: "Room not found" } };
    expect(await ack(e, "room:join", secret.id)).toEqual(notFound);
    expect(await ack(e, "room:join", UNKNOWN_ID)).toEqual(notFound);
    expect(await ack(e, "room:join", { roomId: secret.id })).toEqual({ ok: false, error: { code: "INVALID", message: "roomId must be a string" } });
    expect(await ack(e, "room:join", "")).toEqual({ ok: false, error: { code: "INVALID", message: "roomId must not be empty" } });
    expect(await server.app.chat.rooms.get(ada.user.id, secret.id)).toMatchObject({ participantCount: 1 });
  });

  test("leave: room:userLeft to the others, no more room messages, membership kept so a private room can be joined again", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const secret = await server.app.chat.rooms.create(ada.user.id, { name: "Secret", isPublic: false });
    await server.app.chat.rooms.addParticipant(ada.user.id, secret.id, bob.user.id);
    const a = await server.connect(ada.token);
    const b = await server.connect(bob.token);
    await ack(a, "room:join", secret.id);
    await ack(b, "room:join", secret.id);

    const left = waitFor(a, "room:userLeft");
    expect(await ack(b, "room:leave", secret.id)).toEqual({ ok: true, data: { roomId: secret.id } });
    expect(await left).toEqual([{ roomId: secret.id, userId: bob.user.id }]);
    const quiet = expectNone(b, "message:received");
    await ack(a, "message:send", { roomId: secret.id, text: "only for those still here" });
    await quiet.check();

    // A second leave is harmless and announces nothing.
    const noSecondLeave = expectNone(a, "room:userLeft");
    expect(await ack(b, "room:leave", secret.id)).toMatchObject({ ok: true });
    await noSecondLeave.check();
    expect(await ack(b, "room:join", secret.id)).toMatchObject({ ok: true, data: { id: secret.id } });
  });

  test("room:created from REST: a public room to everyone, a private one only to its creator's sockets", async () => {
    const ada = await registerUser(server.app.chat, "Ada");
    const bob = await registerUser(server.app.chat, "Bob");
    const a1 = await server.connect(ada.token);
    const a2 = await server.connect(ada.token);
    const b = await server.connect(bob.token);
    const post = (body: unknown) =>
      fetch(`${server.url}/api/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${ada.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ data: { id: string } }>);

    // Every socket, so none still has the public room's room:created on its way when the private
    // room's are awaited below.
    const toAll = [b, a1, a2].map((socket) => waitFor(socket, "room:created"));
    const open = await post({ name: "Open", description: "for all", isPublic: true });
    const expected = {
      id: open.data.id,
      name: "Open",
      description: "for all",
      isPublic: true,
      createdBy: { id: ada.user.id, firstName: "Ada", lastName: "Tester" },
    };
    for (const payload of await Promise.all(toAll)) expect(payload).toEqual([expected]);

    const bobHearsNothing = expectNone(b, "room:created");
    const bothTabs = Promise.all([waitFor(a1, "room:created"), waitFor(a2, "room:created")]);
    const secret = await post({ name: "Mine", isPublic: false });
    expect((await bothTabs).map(([payload]) => payload)).toEqual([
      { ...expected, id: secret.data.id, name: "Mine", description: "", isPublic: false },
      { ...expected, id: secret.data.id, name: "Mine", description: "", isPublic: false },
    ]);
    // room:created is sent before POST /api/rooms answers.
    await bobHearsNothing.check();
  });
});
