// Typing indicators over the wire: typing:start/stop only for rooms the socket joined, typing:update
// to the others in the room, bursts coalesced, a typing state that expires by itself (5 s; shortened
// here through the option) after the last start, and is cleared (once) on leave or disconnect.
import { describe, expect, test } from "bun:test";
import {
  barrier,
  closedOnServer,
  emitAck,
  expectAckError,
  expectNone,
  expectOk,
  record,
  startChat,
  waitFor,
  type ChatHarness,
  type ChatUser,
  type ClientSocket,
  type TypingUpdate,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

// A short expiry for the expiry test (the 5 s default is unit-typing's business), still long enough
// that Dan's refresh, REFRESH_AFTER_MS after the first starts, reaches the server well before it.
const EXPIRY_MS = 1500;
const REFRESH_AFTER_MS = 300;
const LATE_SLACK_MS = 1500;

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
    await Promise.all([barrier(a), barrier(c)]);
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
    const quiet = expectNone(a, "typing:update");
    expectAckError(await emitAck(b, "typing:start", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    expectAckError(await emitAck(e, "typing:start", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    expectAckError(await emitAck(e, "typing:stop", { roomId }), ["FORBIDDEN", "NOT_FOUND"]);
    await quiet.check();
  });

  test("a burst of starts is one typing:update true; stop is one false", async () => {
    await using chat = await startChat();
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const { roomId, sockets } = await joinedRoom(chat, [ada, bob]);
    const [a, b] = sockets as [ClientSocket, ClientSocket];
    const seen = record<TypingUpdate>(b, "typing:update");
    for (let i = 0; i < 6; i++) expectOk(await emitAck(a, "typing:start", { roomId }));
    await barrier(b);
    expect(seen).toEqual([update(roomId, ada, true)]);
    expectOk(await emitAck(a, "typing:stop", { roomId }));
    await barrier(b);
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

  test("typing expires after the last start; a new start extends it without a new update; a cleared state does not expire again", async () => {
    await using chat = await startChat({}, { realtime: { typingExpiryMs: EXPIRY_MS } });
    const [watcher, ada, dan, eve, fay] = [await chat.user("Watcher"), await chat.user("Ada"), await chat.user("Dan"), await chat.user("Eve"), await chat.user("Fay")];
    const { roomId, sockets } = await joinedRoom(chat, [watcher, ada, dan, eve, fay]);
    const [w, a, d, e, f] = sockets as [ClientSocket, ClientSocket, ClientSocket, ClientSocket, ClientSocket];
    const seen: { at: number; update: TypingUpdate }[] = [];
    w.on("typing:update", (payload: TypingUpdate) => seen.push({ at: performance.now(), update: payload }));
    const of = (user: ChatUser) => seen.filter((s) => s.update.userId === user.id).map((s) => s.update);

    const t0 = performance.now();
    await Promise.all([a, d, e, f].map(async (s) => expectOk(await emitAck(s, "typing:start", { roomId }))));
    // Time passes on purpose: Dan's new start must come measurably later than his first one.
    await Bun.sleep(Math.max(0, REFRESH_AFTER_MS - (performance.now() - t0)));
    const danStopped = waitFor(w, "typing:update", 4 * EXPIRY_MS, by(dan, false));
    const refreshedAt = performance.now();
    expectOk(await emitAck(d, "typing:start", { roomId }));

    // Eve leaves and Fay disconnects while typing: cleared by that (the updates have reached the
    // watcher once the server handled both, long before the expiry), and never again.
    const fayGone = closedOnServer(chat.server, f);
    expectOk(await emitAck(e, "room:leave", roomId));
    f.disconnect();
    await fayGone;
    await barrier(w);
    for (const user of [eve, fay]) expect(of(user)).toEqual([update(roomId, user, true), update(roomId, user, false)]);

    // Expiries fire in time order and reach the watcher in that order: Dan's is the last one due,
    // so a repeated update for anyone else would have arrived before it.
    await danStopped;
    for (const user of [ada, dan, eve, fay]) expect(of(user)).toEqual([update(roomId, user, true), update(roomId, user, false)]);
    const offAt = (user: ChatUser) => seen.filter((s) => s.update.userId === user.id)[1]?.at ?? Number.NaN;
    // Never early (the clocks are read before the starts are sent); late only by a loaded machine's slack.
    expect(offAt(ada) - t0).toBeGreaterThanOrEqual(EXPIRY_MS);
    expect(offAt(ada) - t0).toBeLessThanOrEqual(EXPIRY_MS + LATE_SLACK_MS);
    expect(offAt(dan) - refreshedAt).toBeGreaterThanOrEqual(EXPIRY_MS);
    expect(offAt(dan) - refreshedAt).toBeLessThanOrEqual(EXPIRY_MS + LATE_SLACK_MS);
  });
});
