// Hostile and sloppy clients against the app's events: malformed payloads of every shape are INVALID
// acks (never a crash, a disconnect or a leaked internal), events without an ack callback and
// unknown events are harmless, and server→client event names sent by a client reach nobody.
import { describe, expect, test } from "bun:test";
import {
  barrier,
  emitAck,
  emitAckWithin,
  expectAckError,
  expectNone,
  expectOk,
  record,
  startChat,
  UNKNOWN_ID,
  waitFor,
  type ChatHarness,
  type ClientSocket,
  type WireRoomMessage,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

const HUGE = "h".repeat(100_000);
const EVENTS = ["room:join", "room:leave", "message:send", "dm:send", "typing:start", "typing:stop"] as const;

/** Payloads no event accepts (every event takes a string id or an object with string fields). */
function commonGarbage(): { label: string; args: unknown[] }[] {
  return [
    { label: "no payload at all", args: [] },
    { label: "null", args: [null] },
    { label: "a number", args: [42] },
    { label: "a large float", args: [1.5e308] },
    { label: "a boolean", args: [true] },
    { label: "an empty array", args: [[]] },
    { label: "an array of strings", args: [["a", "b"]] },
    { label: "binary", args: [new Uint8Array([1, 2, 3])] },
  ];
}

/** A session with a public room that `socket` has joined, and a second user to DM. */
async function scene(chat: ChatHarness) {
  const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
  const room = await chat.createRoom(ada);
  const a = await chat.connect(ada);
  const b = await chat.connect(bob);
  expectOk(await emitAck(a, "room:join", room.id));
  expectOk(await emitAck(b, "room:join", room.id));
  return { ada, bob, room, a, b };
}

/** Proves the socket is still connected and answered: a valid message round-trips to it. */
async function expectUsable(socket: ClientSocket, roomId: string, label: string): Promise<void> {
  expect(socket.connected).toBe(true);
  const back = waitFor<WireRoomMessage>(socket, "message:received", 2000, (m) => m.text === label);
  expectOk(await emitAck(socket, "message:send", { roomId, text: label }));
  await back;
}

describe(`malformed payloads (${testDriver})`, () => {
  test("every event answers INVALID to non-object/non-string garbage and stays connected", async () => {
    await using chat = await startChat();
    const { room, a } = await scene(chat);
    const disconnects = record(a, "disconnect");
    for (const event of EVENTS) {
      for (const { label, args } of commonGarbage()) {
        const ack = await emitAck(a, event, ...args);
        try {
          expectAckError(ack, "INVALID");
        } catch (error) {
          throw new Error(`${event} with ${label} answered ${JSON.stringify(ack)}: ${String(error)}`);
        }
      }
    }
    expect(disconnects).toEqual([]);
    await expectUsable(a, room.id, "still here after garbage");
  });

  test("room:join/room:leave want a bare id string: objects are INVALID, a huge string is refused", async () => {
    await using chat = await startChat();
    const { room, a } = await scene(chat);
    for (const event of ["room:join", "room:leave"]) {
      for (const payload of [{}, { roomId: room.id }, { id: room.id }, JSON.parse(`{"__proto__":{"roomId":"${room.id}"}}`)]) {
        expectAckError(await emitAck(a, event, payload), "INVALID");
      }
      expectAckError(await emitAck(a, event, HUGE), ["INVALID", "NOT_FOUND"]);
    }
    await expectUsable(a, room.id, "after join/leave garbage");
  });

  test("message:send and dm:send want objects with string fields: strings, arrays, prototype keys, huge and binary texts are INVALID", async () => {
    await using chat = await startChat();
    const { ada, bob, room, a, b } = await scene(chat);
    const toBob = record(b, "message:received");
    const dmsToBob = record(b, "dm:received");
    const cases: [string, unknown][] = [
      ["message:send", "just a string"],
      ["message:send", [{ roomId: room.id, text: "in an array" }]],
      ["message:send", { roomId: room.id, text: HUGE }],
      ["message:send", { roomId: room.id, text: new Uint8Array([104, 105]) }],
      ["message:send", { roomId: [room.id], text: "array id" }],
      ["message:send", { roomId: { toString: room.id }, text: "object id" }],
      ["message:send", JSON.parse(`{"__proto__":{"roomId":"${room.id}","text":"from the prototype"}}`)],
      ["message:send", JSON.parse(`{"constructor":{"prototype":{"roomId":"${room.id}"}},"text":"constructor"}`)],
      ["dm:send", "just a string"],
      ["dm:send", [{ recipientId: bob.id, text: "in an array" }]],
      ["dm:send", { recipientId: bob.id, text: HUGE }],
      ["dm:send", { recipientId: bob.id, text: new Uint8Array([104, 105]) }],
      ["dm:send", { recipientId: [bob.id], text: "array id" }],
      ["dm:send", JSON.parse(`{"__proto__":{"recipientId":"${bob.id}","text":"from the prototype"}}`)],
    ];
    for (const [event, payload] of cases) {
      const ack = await emitAck(a, event, payload);
      try {
        expectAckError(ack, "INVALID");
      } catch (error) {
        throw new Error(`${event} ${JSON.stringify(payload).slice(0, 80)} answered ${JSON.stringify(ack)}: ${String(error)}`);
      }
    }
    await barrier(b);
    expect(toBob).toEqual([]);
    expect(dmsToBob).toEqual([]);
    const history = await chat.rest<{ messages: unknown[] }>("GET", `/api/rooms/${room.id}/messages`, ada.token);
    expect(history.body.data.messages).toEqual([]);
    await expectUsable(a, room.id, "after object garbage");
  });

  test("typing events want {roomId: string}: a bare string, a numeric or prototype roomId is INVALID", async () => {
    await using chat = await startChat();
    const { room, a, b } = await scene(chat);
    const quiet = expectNone(b, "typing:update");
    for (const event of ["typing:start", "typing:stop"]) {
      for (const payload of [room.id, {}, { roomId: 42 }, { roomId: null }, { roomId: [room.id] }, JSON.parse(`{"__proto__":{"roomId":"${room.id}"}}`)]) {
        expectAckError(await emitAck(a, event, payload), "INVALID");
      }
    }
    await quiet.check();
    await expectUsable(a, room.id, "after typing garbage");
  });

  test("unknown keys are ignored (including __proto__): the message is stored as sent, nothing leaks into the broadcast", async () => {
    await using chat = await startChat();
    const { ada, room, a, b } = await scene(chat);
    const arrival = waitFor<Record<string, unknown>>(b, "message:received");
    const payload = JSON.parse(`{"__proto__":{"isAdmin":true,"sender":{"id":"${UNKNOWN_ID}"}},"roomId":"${room.id}","text":"extra keys","extra":{"deep":[1,2,3]},"isAdmin":true}`);
    expectOk(await emitAck(a, "message:send", payload));
    const received = await arrival;
    expect(received).toMatchObject({ roomId: room.id, text: "extra keys", sender: { id: ada.id } });
    // clientId may be absent or null when none was sent (DESIGN.md: `clientId?`); nothing else may appear.
    expect(Object.keys(received).filter((key) => key !== "clientId").sort()).toEqual(["createdAt", "id", "roomId", "sender", "text"]);
    expect(received).not.toHaveProperty("isAdmin");
    expect(received).not.toHaveProperty("extra");
  });
});

describe(`without acks and unknown events (${testDriver})`, () => {
  test("malformed events without an ack callback crash nothing; valid ones without an ack still take effect", async () => {
    await using chat = await startChat();
    const { bob, room, a, b } = await scene(chat);
    const disconnects = record(a, "disconnect");
    for (const event of EVENTS) {
      for (const { args } of commonGarbage()) a.emit(event, ...args);
      a.emit(event, { roomId: room.id, recipientId: bob.id, text: HUGE });
    }
    a.emit("dm:send", { recipientId: UNKNOWN_ID, text: "no ack, unknown recipient" });
    const arrival = waitFor<WireRoomMessage>(b, "message:received", 2000, (m) => m.text === "fire and forget");
    a.emit("message:send", { roomId: room.id, text: "fire and forget" });
    await arrival;
    expect(disconnects).toEqual([]);
    await expectUsable(a, room.id, "after ackless events");
    expect((await fetch(`${chat.url}/healthz`)).status).toBe(200);
  });

  test("an unknown event is ignored, with or without an ack, and the connection stays usable", async () => {
    await using chat = await startChat();
    const { room, a } = await scene(chat);
    a.emit("no:such:event", { roomId: room.id });
    a.emit("constructor", {});
    a.emit("__proto__", {});
    a.emit("hasOwnProperty", "x");
    // With an ack, the answer is an INVALID error (DESIGN.md: every event with an ack is answered).
    expectAckError(await emitAckWithin(a, 2000, "no:such:event:with:ack", { x: 1 }), "INVALID");
    await expectUsable(a, room.id, "after unknown events");
  });

  test("server→client event names sent by a client are not relayed to anyone", async () => {
    await using chat = await startChat();
    const { ada, room, a, b } = await scene(chat);
    // The real announcements of the scene (Ada and Bob coming online) may still arrive: only the
    // forged payloads below must not.
    const isForged: Record<string, (payload: Record<string, unknown>) => boolean> = {
      "message:received": (p) => p["text"] === "forged",
      "dm:received": (p) => p["text"] === "forged",
      "user:status": (p) => p["status"] === "offline",
      "room:created": (p) => p["name"] === "forged",
      "room:userJoined": (p) => JSON.stringify(p["user"]) === "{}",
      "typing:update": (p) => p["firstName"] === undefined,
    };
    const relayed = Object.entries(isForged).map(([event, where]) => expectNone(b, event, where));
    a.emit("message:received", { id: 1, roomId: room.id, sender: { id: ada.id }, text: "forged", createdAt: "x" });
    a.emit("dm:received", { id: 1, recipientId: "b", text: "forged" });
    a.emit("user:status", { userId: ada.id, status: "offline" });
    a.emit("room:created", { id: room.id, name: "forged" });
    a.emit("room:userJoined", { roomId: room.id, user: {} });
    a.emit("typing:update", { roomId: room.id, userId: ada.id, isTyping: true });
    // Ada's next event is handled after the forged ones; anything they caused reaches Bob before
    // its broadcast, and before the barrier behind it.
    await expectUsable(a, room.id, "after forged server events");
    for (const quiet of relayed) await quiet.check();
  });

  test("error acks never carry internals: every refusal message is short and plain", async () => {
    await using chat = await startChat();
    const { room, a } = await scene(chat);
    const refusals = [
      await emitAck(a, "room:join", "' or 1=1 --"),
      await emitAck(a, "room:join", UNKNOWN_ID),
      await emitAck(a, "message:send", { roomId: "not-a-uuid", text: "x" }),
      await emitAck(a, "message:send", { roomId: UNKNOWN_ID, text: "x" }),
      await emitAck(a, "dm:send", { recipientId: "not-a-uuid", text: "x" }),
      await emitAck(a, "typing:start", { roomId: "not-a-uuid" }),
      await emitAck(a, "message:send", { roomId: room.id, text: "\u0000" }),
    ];
    for (const ack of refusals) expectAckError(ack, ["INVALID", "NOT_FOUND", "FORBIDDEN"]);
  });
});

describe(`flooding (${testDriver})`, () => {
  test("a client with too many events in flight gets RATE_LIMITED answers, stays connected, and is served again after", async () => {
    await using chat = await startChat();
    const { ada, room } = await scene(chat);
    // Long-polling batches the 200 sends into one request, so they all arrive before any is
    // handled: more than one socket may have in flight (MAX_PENDING_EVENTS).
    const a = await chat.connect(ada, { transports: ["polling"] });
    expectOk(await emitAck(a, "room:join", room.id));
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => emitAck(a, "message:send", { roomId: room.id, text: `flood ${i}` })),
    );
    const limited = acks.filter((ack) => !ack.ok && ack.error.code === "RATE_LIMITED");
    const stored = acks.filter((ack) => ack.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length + limited.length).toBe(200);
    await expectUsable(a, room.id, "after the flood");
  });
});
