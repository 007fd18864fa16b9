// Study rooms over the wire: room:join (public, or private and a participant, else NOT_FOUND),
// room:userJoined / room:userLeft to the others only, idempotent joins, and room:created from REST
// to everyone for a public room and only to the creator's sockets for a private one.
import { describe, expect, test } from "bun:test";
import {
  barrier,
  emitAck,
  expectAckError,
  expectNone,
  expectOk,
  record,
  startChat,
  UNKNOWN_ID,
  waitFor,
  type ChatUser,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

type UserJoined = { roomId: string; user: Record<string, unknown> };
type UserLeft = { roomId: string; userId: string };
type RoomCreated = { id: string; name: string; description: string; isPublic: boolean; createdBy: Record<string, unknown> };
type Participant = { role: string; user: { id: string } };

/** socket.data.user as the seed broadcast it: id, names, role, avatar; never the email. */
const socketUser = (user: ChatUser) => ({ id: user.id, firstName: user.firstName, lastName: user.lastName, role: "student", avatar: null });

describe(`room:join (${testDriver})`, () => {
  test("a public room: ack ok, room:userJoined {roomId, user} to the others in the room only, participant persisted", async () => {
    await using chat = await startChat();
    const [ada, bob, cid] = [await chat.user("Ada", "Lovelace"), await chat.user("Bob", "Builder"), await chat.user("Cid")];
    const room = await chat.createRoom(ada, { name: "Open" });
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", room.id));
    const b = await chat.connect(bob);
    const c = await chat.connect(cid);
    const [toA, toB, toC] = [record<UserJoined>(a, "room:userJoined"), record<UserJoined>(b, "room:userJoined"), record<UserJoined>(c, "room:userJoined")];

    const joined = waitFor<UserJoined>(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", room.id));
    expect(await joined).toEqual({ roomId: room.id, user: socketUser(bob) });
    await Promise.all([barrier(a), barrier(b), barrier(c)]);
    expect(toA).toHaveLength(1);
    expect(toB).toEqual([]);
    expect(toC).toEqual([]);

    const details = await chat.rest<{ participants: Participant[] }>("GET", `/api/rooms/${room.id}`, ada.token);
    expect(details.body.data.participants.map((p) => [p.user.id, p.role])).toContainEqual([bob.id, "member"]);
  });

  test("joining twice is idempotent: both acks ok, one room:userJoined", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", room.id));
    const toA = record<UserJoined>(a, "room:userJoined");
    const b = await chat.connect(bob);
    // Listening before the join: the announcement may reach Ada before Bob's ack reaches Bob.
    const announced = waitFor(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", room.id));
    await announced;
    const quiet = expectNone(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", room.id));
    await quiet.check();
    expect(toA).toHaveLength(1);
  });

  test("a private room is NOT_FOUND to a non-participant, like an unknown room; nobody is told", async () => {
    await using chat = await startChat();
    const [ada, eve] = [await chat.user("Ada"), await chat.user("Eve")];
    const secret = await chat.createRoom(ada, { name: "Secret", isPublic: false });
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", secret.id));
    const e = await chat.connect(eve);
    const quiet = expectNone(a, "room:userJoined");
    const hidden = expectAckError(await emitAck(e, "room:join", secret.id), "NOT_FOUND");
    const unknown = expectAckError(await emitAck(e, "room:join", UNKNOWN_ID), "NOT_FOUND");
    expect(hidden.message).toBe(unknown.message);
    await quiet.check();
    const details = await chat.rest("GET", `/api/rooms/${secret.id}`, eve.token);
    expect(details.status).toBe(404);
  });

  test("malformed room ids are NOT_FOUND or INVALID, never an internal error", async () => {
    await using chat = await startChat();
    const ada = await chat.user("Ada");
    const a = await chat.connect(ada);
    for (const id of ["abc", "1", "' or 1=1 --", `${UNKNOWN_ID}x`, "%00"]) {
      expectAckError(await emitAck(a, "room:join", id), ["NOT_FOUND", "INVALID"]);
    }
    expect(a.connected).toBe(true);
  });

  test("after an admin adds them over REST, the former outsider joins the private room and the others are told", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const secret = await chat.createRoom(ada, { name: "Secret", isPublic: false });
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", secret.id));
    const b = await chat.connect(bob);
    expectAckError(await emitAck(b, "room:join", secret.id), "NOT_FOUND");
    const added = await chat.rest("POST", `/api/rooms/${secret.id}/participants`, ada.token, { userId: bob.id });
    expect(added.status).toBe(201);
    const joined = waitFor<UserJoined>(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", secret.id));
    expect(await joined).toEqual({ roomId: secret.id, user: socketUser(bob) });
  });
});

describe(`room:leave (${testDriver})`, () => {
  test("room:userLeft {roomId, userId} to the others only; the leaver no longer gets the room's messages", async () => {
    await using chat = await startChat();
    const [ada, bob, cid] = [await chat.user("Ada"), await chat.user("Bob"), await chat.user("Cid")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    const b = await chat.connect(bob);
    const c = await chat.connect(cid);
    expectOk(await emitAck(a, "room:join", room.id));
    expectOk(await emitAck(b, "room:join", room.id));
    const [toB, toC] = [record<UserLeft>(b, "room:userLeft"), record<UserLeft>(c, "room:userLeft")];
    const left = waitFor<UserLeft>(a, "room:userLeft");
    expectOk(await emitAck(b, "room:leave", room.id));
    expect(await left).toEqual({ roomId: room.id, userId: bob.id });

    const bobMessages = record(b, "message:received");
    const own = waitFor(a, "message:received");
    expectOk(await emitAck(a, "message:send", { roomId: room.id, text: "after bob left" }));
    await own;
    await Promise.all([barrier(b), barrier(c)]);
    expect(bobMessages).toEqual([]);
    expect(toB).toEqual([]);
    expect(toC).toEqual([]);
  });

  test("leaving then joining again is announced again", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    const b = await chat.connect(bob);
    expectOk(await emitAck(a, "room:join", room.id));
    const joined = waitFor(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", room.id));
    await joined;
    const left = waitFor(a, "room:userLeft");
    expectOk(await emitAck(b, "room:leave", room.id));
    await left;
    const again = waitFor<UserJoined>(a, "room:userJoined");
    expectOk(await emitAck(b, "room:join", room.id));
    expect((await again).user).toMatchObject({ id: bob.id });
  });
});

// Presence counts a user, not a socket ("one of two tabs closing → no offline"); read the same way,
// a user's second tab joining a room they are already in is "joining twice", and one tab leaving
// while another stays in the room is not the user leaving it.
describe(`a user with two tabs in one room (${testDriver})`, () => {
  test("the second tab joining is not announced again", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", room.id));
    const toA = record<UserJoined>(a, "room:userJoined");
    const b1 = await chat.connect(bob);
    const b2 = await chat.connect(bob);
    const joined = waitFor(a, "room:userJoined");
    expectOk(await emitAck(b1, "room:join", room.id));
    await joined;
    expectOk(await emitAck(b2, "room:join", room.id));
    await barrier(a);
    expect(toA.map((p) => p.user["id"])).toEqual([bob.id]);
  });

  test("one tab leaving while the other stays in the room is not announced as the user leaving", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    const b1 = await chat.connect(bob);
    const b2 = await chat.connect(bob);
    for (const s of [a, b1, b2]) expectOk(await emitAck(s, "room:join", room.id));
    const toA = record<UserLeft>(a, "room:userLeft");
    expectOk(await emitAck(b1, "room:leave", room.id));
    await barrier(a);
    expect(toA).toEqual([]);
    const left = waitFor<UserLeft>(a, "room:userLeft");
    expectOk(await emitAck(b2, "room:leave", room.id));
    expect(await left).toEqual({ roomId: room.id, userId: bob.id });
  });

  test("three tabs joining at the same moment are announced once; all leaving at the same moment, once", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", room.id));
    const joins = record<UserJoined>(a, "room:userJoined");
    const leaves = record<UserLeft>(a, "room:userLeft");
    const tabs = [await chat.connect(bob), await chat.connect(bob), await chat.connect(bob)];
    for (const ack of await Promise.all(tabs.map((t) => emitAck(t, "room:join", room.id)))) expectOk(ack);
    await barrier(a);
    expect(joins.map((p) => p.user["id"])).toEqual([bob.id]);
    for (const ack of await Promise.all(tabs.map((t) => emitAck(t, "room:leave", room.id)))) expectOk(ack);
    await barrier(a);
    expect(leaves).toEqual([{ roomId: room.id, userId: bob.id }]);
  });
});

describe(`room:created (${testDriver})`, () => {
  test("a public room created over REST reaches every connected socket, the creator's included, with the exact payload", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada", "Lovelace"), await chat.user("Bob")];
    const sockets = [await chat.connect(ada), await chat.connect(bob), await chat.connect(bob)];
    const arrivals = sockets.map((s) => waitFor<RoomCreated>(s, "room:created"));
    const room = await chat.createRoom(ada, { name: "Algebra", description: "groups and rings", isPublic: true });
    const expected = {
      id: room.id,
      name: "Algebra",
      description: "groups and rings",
      isPublic: true,
      createdBy: { id: ada.id, firstName: "Ada", lastName: "Lovelace" },
    };
    for (const payload of await Promise.all(arrivals)) expect(payload).toEqual(expected);
  });

  test("a private room created over REST reaches only the creator's sockets (every tab)", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const a1 = await chat.connect(ada);
    const a2 = await chat.connect(ada);
    const b = await chat.connect(bob);
    const toBob = record<RoomCreated>(b, "room:created");
    const arrivals = [a1, a2].map((s) => waitFor<RoomCreated>(s, "room:created"));
    const room = await chat.createRoom(ada, { name: "Private", isPublic: false });
    for (const payload of await Promise.all(arrivals)) expect(payload).toMatchObject({ id: room.id, isPublic: false, createdBy: { id: ada.id } });
    // room:created is sent before POST /api/rooms answers.
    await barrier(b);
    expect(toBob).toEqual([]);
  });
});
