// StudyConnect with a socket.io-msgpack-parser client next to a default one, with no option on the
// app: both join one room, chat (message:send → message:received reaches both formats), see each
// other join, and exchange a direct message. Dates arrive as Dates in msgpack (as with socket.io).
import { describe, expect, test } from "bun:test";
import * as msgpackParser from "socket.io-msgpack-parser";
import {
  ackedMessage,
  barrier,
  emitAck,
  expectOk,
  record,
  startChat,
  waitFor,
  type WireDirectMessage,
  type WireRoomMessage,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

const MSGPACK = { parser: msgpackParser };

/** createdAt as an ISO string: the default format sends the Date's JSON, msgpack the Date itself. */
function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  throw new Error(`createdAt is neither a Date nor a string: ${String(value)}`);
}

describe(`a msgpack client and a default client chat in one room (${testDriver})`, () => {
  for (const transports of [["websocket"], ["polling"]]) {
    test(`over ${transports[0]}: joins, room messages both ways, a DM`, async () => {
      await using chat = await startChat();
      const [ada, bob] = [await chat.user("Ada", "Lovelace"), await chat.user("Bob", "Builder")];
      const room = await chat.createRoom(ada, { name: "Mixed" });
      const a = await chat.connect(ada, { transports });
      const b = await chat.connect(bob, { ...MSGPACK, transports });

      expectOk(await emitAck(a, "room:join", room.id));
      const joined = waitFor<{ roomId: string; user: { id: string } }>(a, "room:userJoined");
      expectOk(await emitAck(b, "room:join", room.id));
      expect((await joined).user.id).toBe(bob.id);

      const [atA, atB] = [record<WireRoomMessage>(a, "message:received"), record<WireRoomMessage>(b, "message:received")];
      const fromBob = Promise.all([waitFor<WireRoomMessage>(a, "message:received"), waitFor<WireRoomMessage>(b, "message:received")]);
      const bobAck = ackedMessage<WireRoomMessage>(expectOk(await emitAck(b, "message:send", { roomId: room.id, text: "hi from msgpack", clientId: "b-1" })));
      const [bobAtA, bobAtB] = await fromBob;
      for (const received of [bobAtA, bobAtB]) {
        expect(received).toMatchObject({ id: bobAck.id, roomId: room.id, text: "hi from msgpack", clientId: "b-1", sender: { id: bob.id } });
      }
      expect(typeof bobAtA.createdAt).toBe("string");
      expect(isoOf(bobAtB.createdAt)).toBe(bobAtA.createdAt);

      const fromAda = Promise.all([waitFor<WireRoomMessage>(a, "message:received"), waitFor<WireRoomMessage>(b, "message:received")]);
      expectOk(await emitAck(a, "message:send", { roomId: room.id, text: "hi from json" }));
      const [adaAtA, adaAtB] = await fromAda;
      expect(adaAtB).toMatchObject({ id: adaAtA.id, text: "hi from json", sender: { id: ada.id } });
      await Promise.all([barrier(a), barrier(b)]);
      expect([atA.length, atB.length]).toEqual([2, 2]);

      const dms = Promise.all([waitFor<WireDirectMessage>(a, "dm:received"), waitFor<WireDirectMessage>(b, "dm:received")]);
      expectOk(await emitAck(a, "dm:send", { recipientId: bob.id, text: "psst" }));
      const [dmAtA, dmAtB] = await dms;
      expect(dmAtB).toMatchObject({ id: dmAtA.id, recipientId: bob.id, text: "psst", sender: { id: ada.id } });
    });
  }
});
