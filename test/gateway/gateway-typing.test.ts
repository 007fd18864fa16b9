// Typing indicators over real sockets, with a short expiry (AppOptions.realtime.typingExpiryMs):
// start/stop to the others in the room, bursts coalesced, expiry, cleared on leave and disconnect.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerUser } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { barrier, closedOnServer, expectNone, waitFor as waitForMatching, type TypingUpdate } from "../support/chat-client.ts";
import { record, waitFor, type ClientSocket } from "../support/sio-client.ts";

const EXPIRY_MS = 300;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { realtime: { typingExpiryMs: EXPIRY_MS } });
});
afterAll(() => server.close());

const ack = (socket: ClientSocket, event: string, payload: unknown) => socket.timeout(2000).emitWithAck(event, payload);

/** Ada (typing) and Bob (watching) in one room. */
async function pair() {
  const ada = await registerUser(server.app.chat, "Ada");
  const bob = await registerUser(server.app.chat, "Bob");
  const room = await server.app.chat.rooms.create(ada.user.id, { name: "Typing" });
  const a = await server.connect(ada.token);
  const b = await server.connect(bob.token);
  await ack(a, "room:join", room.id);
  await ack(b, "room:join", room.id);
  const update = (isTyping: boolean) => ({ roomId: room.id, userId: ada.user.id, firstName: "Ada", isTyping });
  return { room, a, b, update };
}

describe(`typing (${testDriver})`, () => {
  test("start and stop reach the others, not the typist; repeated starts are one update", async () => {
    const { room, a, b, update } = await pair();
    const ownUpdates = record(a, "typing:update");
    const seen = record(b, "typing:update");
    expect(await ack(a, "typing:start", { roomId: room.id })).toEqual({ ok: true, data: { roomId: room.id, isTyping: true } });
    await ack(a, "typing:start", { roomId: room.id });
    await ack(a, "typing:start", { roomId: room.id });
    expect(await ack(a, "typing:stop", { roomId: room.id })).toEqual({ ok: true, data: { roomId: room.id, isTyping: false } });
    await barrier(b);
    expect(seen).toEqual([[update(true)], [update(false)]]);
    expect(ownUpdates).toEqual([]);
  });

  test("without a new start the indicator expires by itself", async () => {
    const { room, a, b, update } = await pair();
    const started = Date.now();
    // Listening first: the update may reach Bob before the ack reaches Ada.
    const typingShown = waitFor(b, "typing:update");
    await ack(a, "typing:start", { roomId: room.id });
    expect(await typingShown).toEqual([update(true)]);
    expect(await waitFor(b, "typing:update", 2000)).toEqual([update(false)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(EXPIRY_MS - 20);
  });

  test("leaving or disconnecting while typing clears it once, and the expiry stays silent", async () => {
    const { room, a, b, update } = await pair();
    const seen = record(b, "typing:update");
    await ack(a, "typing:start", { roomId: room.id });
    await ack(a, "room:leave", room.id);
    await ack(a, "room:join", room.id);
    await ack(a, "typing:start", { roomId: room.id });
    const closed = closedOnServer(server, a);
    a.disconnect();
    await closed;
    await barrier(b);
    expect(seen).toEqual([[update(true)], [update(false)], [update(true)], [update(false)]]);
    // The sentinel: Cid starts typing after Ada's last start, so his expiry is due after hers would
    // be, and expiries reach Bob in time order.
    const cid = await registerUser(server.app.chat, "Cid");
    const c = await server.connect(cid.token);
    await ack(c, "room:join", room.id);
    const byCid = (isTyping: boolean) => ({ roomId: room.id, userId: cid.user.id, firstName: "Cid", isTyping });
    const cidExpired = waitForMatching<TypingUpdate>(b, "typing:update", 2000 + EXPIRY_MS, (p) => p.userId === cid.user.id && !p.isTyping);
    await ack(c, "typing:start", { roomId: room.id });
    await cidExpired;
    expect(seen).toEqual([[update(true)], [update(false)], [update(true)], [update(false)], [byCid(true)], [byCid(false)]]);
  });

  test("a room not joined on this socket is refused and announces nothing", async () => {
    const { room, b } = await pair();
    const eve = await registerUser(server.app.chat, "Eve");
    const e = await server.connect(eve.token);
    const quiet = expectNone(b, "typing:update");
    expect(await ack(e, "typing:start", { roomId: room.id })).toEqual({
      ok: false,
      error: { code: "FORBIDDEN", message: "Join the room before typing in it" },
    });
    expect(await ack(e, "typing:stop", room.id)).toEqual({ ok: false, error: { code: "INVALID", message: "payload must be an object" } });
    await quiet.check();
  });
});
