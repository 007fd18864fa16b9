// The application with ADAPTER=redis: two nodes on one database and one Redis, users on different
// nodes. Room events, messages, DMs, typing and room:created reach across; start-up fails clearly
// when Redis is not there. (Presence across nodes: app-presence.test.ts; outages: bus-outage.test.ts.)
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { emitAck, expectOk, record, startChat, waitFor, type WireRoom } from "../support/chat-client.ts";
import { testDatabase } from "../support/database.ts";
import { rejectionOf } from "../support/promises.ts";
import { TEST_JWT_SECRET } from "../support/server.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const available = await redisAvailable("application cluster tests");

// Both nodes use the suite's shared test database (handed to createApp); the config only has to
// name a Postgres, as a cluster needs one.
const CLUSTER_ENV = { ADAPTER: "redis", DATABASE_URL: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/unused" };

describe.skipIf(!available)("two application nodes on Redis", () => {
  test("room:created, room:userJoined, message:received, dm:received and typing:update reach users on the other node", async () => {
    const clusterKey = uniqueKey("app");
    await using one = await startChat(CLUSTER_ENV, { clusterKey });
    await using two = await startChat(CLUSTER_ENV, { clusterKey });
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
  });
});

test("ADAPTER=redis without a reachable Redis: start-up fails saying so", async () => {
  const config = loadConfig({ ...CLUSTER_ENV, NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: "redis://127.0.0.1:1" });
  const error = await rejectionOf(createApp(config, silentLogger, { database: await testDatabase(), clearStalePresence: false }));
  expect(String(error)).toContain("Redis not reachable at 127.0.0.1:1 (ADAPTER=redis)");
});
