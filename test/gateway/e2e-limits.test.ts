// Per-socket limits over the wire (README "Limits"): events per second beyond the burst are
// answered RATE_LIMITED at once (nothing runs for them), and one socket joins at most
// ROOMS_PER_SOCKET study rooms at a time.
import { describe, expect, test } from "bun:test";
import { emitAck, expectAckError, expectOk, startChat } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

describe(`per-socket limits (${testDriver})`, () => {
  test("events beyond the burst are RATE_LIMITED at once, whatever they are", async () => {
    await using chat = await startChat({ SOCKET_EVENTS_PER_SECOND: "1", SOCKET_EVENT_BURST: "4" });
    const ada = await chat.user("Ada");
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    // Sent in one go (no time to refill): four are handled (refused: the room is not joined), two are not.
    const acks = await Promise.all(Array.from({ length: 6 }, () => emitAck(a, "typing:start", { roomId: room.id })));
    expect(acks.map((ack) => (ack.ok ? "ok" : ack.error.code))).toEqual(["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "RATE_LIMITED", "RATE_LIMITED"]);
    expect(expectAckError(acks[5] ?? { ok: true, data: null }, "RATE_LIMITED").message).toBe("Too many events per second; slow down");
  });

  test("a refused event has no effect: the sends beyond the burst are not stored", async () => {
    await using chat = await startChat({ SOCKET_EVENTS_PER_SECOND: "1", SOCKET_EVENT_BURST: "4" });
    const ada = await chat.user("Ada");
    const room = await chat.createRoom(ada);
    const a = await chat.connect(ada);
    // The join and the sends leave together: the join takes one token, three sends fit.
    const joined = emitAck(a, "room:join", room.id);
    const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => emitAck(a, "message:send", { roomId: room.id, text: `m${i}` })));
    expectOk(await joined);
    expect(acks.map((ack) => (ack.ok ? "ok" : ack.error.code))).toEqual(["ok", "ok", "ok", "RATE_LIMITED", "RATE_LIMITED"]);
    const history = await chat.rest<{ messages: { text: string }[] }>("GET", `/api/rooms/${room.id}/messages`, ada.token);
    expect(history.body.data.messages.map((m) => m.text).sort()).toEqual(["m0", "m1", "m2"]);
  });

  test("a socket joins at most ROOMS_PER_SOCKET rooms; joining one it is in, or after leaving one, still works", async () => {
    await using chat = await startChat({ ROOMS_PER_SOCKET: "2" });
    const ada = await chat.user("Ada");
    const [r1, r2, r3] = [await chat.createRoom(ada), await chat.createRoom(ada), await chat.createRoom(ada)];
    const a = await chat.connect(ada);
    expectOk(await emitAck(a, "room:join", r1.id));
    expectOk(await emitAck(a, "room:join", r2.id));
    const refused = expectAckError(await emitAck(a, "room:join", r3.id), "RATE_LIMITED");
    expect(refused.message).toContain("at most 2");
    expectOk(await emitAck(a, "room:join", r2.id));
    expectOk(await emitAck(a, "room:leave", r1.id));
    expectOk(await emitAck(a, "room:join", r3.id));
    // The limit is per socket: another tab of the same user has its own.
    const a2 = await chat.connect(ada);
    expectOk(await emitAck(a2, "room:join", r1.id));
  });
});
