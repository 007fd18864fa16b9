// What two application nodes on one cluster bus must do for users on different nodes: room events,
// messages, DMs, typing and room:created reach across (shared by the Redis and Postgres app tests).
import { expect } from "bun:test";
import { emitAck, expectOk, record, waitFor, type ChatHarness, type WireRoom } from "../support/chat-client.ts";

export async function usersOnTwoNodes(one: ChatHarness, two: ChatHarness): Promise<void> {
  const ada = await one.user("Ada");
  const bob = await two.user("Bob");
  const adaSocket = await one.connect(ada);
  const bobSocket = await two.connect(bob);

  const created = waitFor<WireRoom>(bobSocket, "room:created");
  const room = await one.createRoom(ada, { name: "Across nodes" });
  expect((await created).id).toBe(room.id);

  expectOk(await emitAck(bobSocket, "room:join", room.id));
  const joined = waitFor<{ roomId: string; user: { id: string } }>(bobSocket, "room:userJoined");
  expectOk(await emitAck(adaSocket, "room:join", room.id));
  expect(await joined).toMatchObject({ roomId: room.id, user: { id: ada.id } });

  const message = waitFor<{ text: string; roomId: string }>(bobSocket, "message:received");
  expectOk(await emitAck(adaSocket, "message:send", { roomId: room.id, text: "hello from node one" }));
  expect(await message).toMatchObject({ roomId: room.id, text: "hello from node one" });

  const typing = waitFor<{ userId: string; isTyping: boolean }>(bobSocket, "typing:update");
  expectOk(await emitAck(adaSocket, "typing:start", { roomId: room.id }));
  expect(await typing).toMatchObject({ userId: ada.id, isTyping: true });

  const dm = waitFor<{ text: string; recipientId: string }>(bobSocket, "dm:received");
  expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "psst" }));
  expect(await dm).toMatchObject({ recipientId: bob.id, text: "psst" });

  // A second tab of Ada's on the other node joining is no news, nor is one of her two tabs leaving.
  const joins = record(bobSocket, "room:userJoined");
  const leaves = record(bobSocket, "room:userLeft");
  const adaTwo = await two.connect(ada);
  expectOk(await emitAck(adaTwo, "room:join", room.id));
  expectOk(await emitAck(adaSocket, "room:leave", room.id));
  // A sentinel from node one after the leave: what the leave announced has arrived before it.
  const sentinel = waitFor(bobSocket, "dm:received");
  expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.id, text: "sentinel" }));
  await sentinel;
  expect([joins, leaves]).toEqual([[], []]);
  // Her last tab leaving announces that she left.
  const left = waitFor<{ userId: string }>(bobSocket, "room:userLeft");
  expectOk(await emitAck(adaTwo, "room:leave", room.id));
  expect(await left).toMatchObject({ userId: ada.id });
}
