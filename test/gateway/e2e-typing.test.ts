// Typing indicators over the wire: typing:start/stop only for rooms the socket joined, typing:update
// to the others in the room, bursts coalesced, a typing state that expires by itself 5 s after the
// last start, and is cleared (once) when the typist leaves the room or disconnects.
import { describe, expect, test } from "bun:test";
import {
  emitAck,
  expectAckError,
  expectNone,
  expectOk,
  record,
  sleep,
  startChat,
  waitFor,
  type ChatHarness,
  type ChatUser,
  type ClientSocket,
  type TypingUpdate,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

const update = (roomId: string, user: ChatUser, isTyping: boolean): TypingUpdate => ({ roomId, userId: user.id, firstName: user.firstName, isTyping });
const by = (user: ChatUser, isTyping?: boolean) => (p: TypingUpdate) => p.userId === user.id && (isTyping === undefined || p.isTyping === isTyping);

/** A public room with the given users connected and joined (in order). */
async function joinedRoom(chat: ChatHarness, users: ChatUser[]): Promise<{ roomId: string; sockets: ClientSocket[] }> {
  const [owner] = users;
  if (!owner) throw new Error("joinedRoom needs a user");
  const room = await chat.createRoom(owner, { name: "Typing" });
  const sockets: ClientSocket[] = [];
  for (const user of users) {
    const socket = await chat.connect(user);
    expectOk(await emitAck(socket, "room:join", room.id));
    sockets.push(socket);
  }
  return { roomId: room.id, sockets };
}

describe(`typing (${testDriver})`, () => {
  test("start and stop reach the others in the room as typing:update (exact payload), not the typist, not outsiders", async () => {
    await using chat = await startChat();
    const [ada, bob, cid] = [await chat.user("Ada"), await chat.user("Bob"), await chat.user("Cid")];
    const { roomId, sockets } = await joinedRoom(chat, [ada, bob]);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const c = await chat.connect(cid);
    const [toA, toC] = [record(a, "typing:update"), record(c, "typing:update")];

    const started = waitFor<TypingUpdate>(b, "typing:update");
    expectOk(await emitAck(a, "typing:start", { roomId }));
    expect(await started).toEqual(update(roomId, ada, true));
    const stopped = waitFor<TypingUpdate>(b, "typing:update");
    expectOk(await emitAck(a, "typing:stop", { roomId }));
    expect(await stopped).toEqual(update(roomId, ada, false));
    await sleep(200);
    expect(toA).toEqual([]);
    expect(toC).toEqual([]);
  });

  test("typing in a room the socket has not joined is refused and nobody is told", async () => {
    await using chat = await startChat();
    const [ada, bob, eve] = [await chat.user("Ada"), await chat.user("Bob"), await chat.user("Eve")];
    const { roomId, sockets } = await joinedRoom(chat, [ada]);
    const [a] = sockets as [ClientSocket];
    // Bob is a participant (added over REST) but this socket never joined; Eve is an outsider.
    expect((await chat.rest("POST", `/api/rooms/${roomId}/participants`, ada.token, { userId: bob.id })).status).toBe(201);
    const b = await chat.connect(bob);
    const e = await chat.connect(eve);
    const quiet = expectNone(a, "typing:update", 400);
    expectAckError(await emitAck(b, "typing:start", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    expectAckError(await emitAck(e, "typing:start", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    expectAckError(await emitAck(e, "typing:stop", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    await quiet;
  });

  test("a burst of starts is one typing:update true; stop is one false", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const { roomId, sockets } = await joinedRoom(chat, [ada, bob]);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const seen = record<TypingUpdate>(b, "typing:update");
    for (let i = 0; i < 6; i++) expectOk(await emitAck(a, "typing:start", { roomId }));
    await sleep(400);
    expect(seen).toEqual([update(roomId, ada, true)]);
    const stopped = waitFor(b, "typing:update", 1000, by(ada, false));
    expectOk(await emitAck(a, "typing:stop", { roomId }));
    await stopped;
    await sleep(150);
    expect(seen).toEqual([update(roomId, ada, true), update(roomId, ada, false)]);
  });

  test("leaving the room clears the typist's state for the others", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const { roomId, sockets } = await joinedRoom(chat, [ada, bob]);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const started = waitFor(b, "typing:update", 2000, by(ada, true));
    expectOk(await emitAck(a, "typing:start", { roomId }));
    await started;
    const cleared = waitFor<TypingUpdate>(b, "typing:update", 1000, by(ada));
    expectOk(await emitAck(a, "room:leave", roomId));
    expect(await cleared).toEqual(update(roomId, ada, false));
  });

  test("disconnecting clears the typist's state for the others", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const { roomId, sockets } = await joinedRoom(chat, [ada, bob]);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const started = waitFor(b, "typing:update", 2000, by(ada, true));
    expectOk(await emitAck(a, "typing:start", { roomId }));
    await started;
    const cleared = waitFor<TypingUpdate>(b, "typing:update", 1000, by(ada));
    a.disconnect();
    expect(await cleared).toEqual(update(roomId, ada, false));
  });

  test("typing expires 5 s after the last start; a new start extends it without a new update; a cleared state does not expire again", async () => {
    await using chat = await startChat();
    const [watcher, ada, dan, eve, fay] = [await chat.user("Watcher"), await chat.user("Ada"), await chat.user("Dan"), await chat.user("Eve"), await chat.user("Fay")];
    const { roomId, sockets } = await joinedRoom(chat, [watcher, ada, dan, eve, fay]);
    const [w, a, d, e, f] = sockets as [ClientSocket, ClientSocket, ClientSocket, ClientSocket, ClientSocket];
    const seen: { at: number; update: TypingUpdate }[] = [];
    w.on("typing:update", (payload: TypingUpdate) => seen.push({ at: performance.now(), update: payload }));

    const t0 = performance.now();
    await Promise.all([a, d, e, f].map(async (s) => expectOk(await emitAck(s, "typing:start", { roomId }))));
    // Eve leaves and Fay disconnects while typing: cleared now, and never again at expiry.
    expectOk(await emitAck(e, "room:leave", roomId));
    f.disconnect();
    await sleep(2000 - (performance.now() - t0));
    const refreshedAt = performance.now();
    const danStopped = waitFor(w, "typing:update", 9000 - (performance.now() - t0), by(dan, false));
    expectOk(await emitAck(d, "typing:start", { roomId }));
    await danStopped;
    await sleep(300);

    const of = (user: ChatUser) => seen.filter((s) => s.update.userId === user.id);
    for (const user of [ada, dan, eve, fay]) expect(of(user).map((s) => s.update)).toEqual([update(roomId, user, true), update(roomId, user, false)]);
    const offAt = (user: ChatUser) => of(user)[1]?.at ?? Number.NaN;
    expect(offAt(ada) - t0).toBeGreaterThanOrEqual(4500);
    expect(offAt(ada) - t0).toBeLessThanOrEqual(6500);
    expect(offAt(dan) - refreshedAt).toBeGreaterThanOrEqual(4500);
    expect(offAt(dan) - refreshedAt).toBeLessThanOrEqual(6500);
    expect(offAt(eve) - t0).toBeLessThan(1500);
    expect(offAt(fay) - t0).toBeLessThan(1500);
  }, 15_000);
});
