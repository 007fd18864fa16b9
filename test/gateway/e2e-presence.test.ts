// Presence over the wire: a user is online while at least one of their sockets is connected.
// user:status online goes to the others on the first connection only, offline only when the last
// one closes; GET /api/users/:id shows the status and the lastActivity stored at that moment.
import { describe, expect, test } from "bun:test";
import { inArray } from "drizzle-orm";
import { schema } from "../../src/db/database.ts";
import {
  barrier,
  closedOnServer,
  connected,
  record,
  serverSocketOf,
  startChat,
  statusBarrier,
  waitFor,
  type ChatHarness,
  type ChatUser,
  type UserStatus,
  type WireProfile,
} from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";
import { expiringSoon, signToken } from "../support/tokens.ts";

const statusOf = (userId: string, status: UserStatus["status"]) => (payload: UserStatus) =>
  payload.userId === userId && payload.status === status;

async function profile(chat: ChatHarness, viewer: ChatUser, userId: string): Promise<WireProfile> {
  const reply = await chat.rest<WireProfile>("GET", `/api/users/${userId}`, viewer.token);
  expect(reply.status).toBe(200);
  return reply.body.data;
}

describe(`presence (${testDriver})`, () => {
  test("a user's first connection: user:status online to the others (exact payload), not to the user itself", async () => {
    await using chat = await startChat();
    const [watcher, other, bob] = [await chat.user("Watcher"), await chat.user("Other"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const o = await chat.connect(other);
    const toWatcher = waitFor<UserStatus>(w, "user:status", 2000, (p) => p.userId === bob.id);
    const toOther = waitFor<UserStatus>(o, "user:status", 2000, (p) => p.userId === bob.id);
    const b = chat.socket(bob);
    const ownEvents = record<UserStatus>(b, "user:status");
    await connected(b);
    expect(await toWatcher).toEqual({ userId: bob.id, status: "online" });
    expect(await toOther).toEqual({ userId: bob.id, status: "online" });
    // Sent to everyone at once: had Bob's socket been included, it would have it by now.
    await barrier(b);
    expect(ownEvents.filter((p) => p.userId === bob.id)).toEqual([]);
  });

  test("REST shows offline with no lastActivity before the first connection, online while connected", async () => {
    await using chat = await startChat();
    const [viewer, bob] = [await chat.user("Viewer"), await chat.user("Bob")];
    expect(await profile(chat, viewer, bob.id)).toMatchObject({ status: "offline", lastActivity: null });
    const w = await chat.connect(viewer);
    const online = waitFor(w, "user:status", 2000, statusOf(bob.id, "online"));
    await chat.connect(bob);
    await online;
    expect((await profile(chat, viewer, bob.id)).status).toBe("online");
  });

  test("two tabs: no second online; closing one tab is not offline; closing the last is offline, with lastActivity stored", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const seen = record<UserStatus>(w, "user:status");

    const firstOnline = waitFor(w, "user:status", 2000, statusOf(bob.id, "online"));
    const tab1 = await chat.connect(bob);
    await firstOnline;
    const tab2 = await chat.connect(bob);
    await statusBarrier(chat.server, w);
    expect(seen.filter((p) => p.userId === bob.id)).toEqual([{ userId: bob.id, status: "online" }]);

    const tab1Closed = closedOnServer(chat.server, tab1);
    tab1.disconnect();
    await tab1Closed;
    await statusBarrier(chat.server, w);
    expect(seen.filter((p) => p.userId === bob.id)).toEqual([{ userId: bob.id, status: "online" }]);
    expect(tab2.connected).toBe(true);
    expect((await profile(chat, watcher, bob.id)).status).toBe("online");

    const offline = waitFor<UserStatus>(w, "user:status", 2000, (p) => p.userId === bob.id);
    const closedAt = Date.now();
    tab2.disconnect();
    expect(await offline).toEqual({ userId: bob.id, status: "offline" });
    expect(seen.filter((p) => p.userId === bob.id).map((p) => p.status)).toEqual(["online", "offline"]);

    // README: status changes are stored before they are announced, so REST agrees at once.
    const shown = await profile(chat, watcher, bob.id);
    expect(shown.status).toBe("offline");
    expect(shown.lastActivity).not.toBeNull();
    const lastActivity = Date.parse(shown.lastActivity ?? "");
    expect(lastActivity).toBeGreaterThanOrEqual(closedAt - 1000);
    expect(lastActivity).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test("a tab whose transport just drops (no Socket.IO disconnect packet) counts as closed too", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const online = waitFor(w, "user:status", 2000, statusOf(bob.id, "online"));
    const b = await chat.connect(bob, { transports: ["websocket"] });
    await online;
    const offline = waitFor(w, "user:status", 2000, statusOf(bob.id, "offline"));
    b.io.engine.close();
    await offline;
  });

  test("the last tab closing and a new one opening right away: the user ends online (no stale offline)", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const seen = record<UserStatus>(w, "user:status");
    const online = waitFor(w, "user:status", 2000, statusOf(bob.id, "online"));
    const first = await chat.connect(bob);
    await online;
    // Which comes first on the server, the close or the new connection, is a race: either is fine,
    // as long as the last word is "online". Bob's user channel holds the new tab if it was first.
    const channels = chat.server.app.io.of("/").adapter.rooms;
    const overlapped = new Promise<boolean>((resolve) => {
      serverSocketOf(chat.server, first).once("disconnect", () => resolve((channels.get(`user:${bob.id}`)?.size ?? 0) > 0));
    });
    const backOnline = waitFor(w, "user:status", 3000, statusOf(bob.id, "online"));
    first.disconnect();
    const second = await chat.connect(bob);
    if (await overlapped) void backOnline.catch(() => {});
    else await backOnline;
    await statusBarrier(chat.server, w);
    expect(second.connected).toBe(true);
    const forBob = seen.filter((p) => p.userId === bob.id).map((p) => p.status);
    expect(forBob).toEqual((await overlapped) ? ["online"] : ["online", "offline", "online"]);
    expect((await profile(chat, watcher, bob.id)).status).toBe("online");
  });

  test("five tabs opened and closed all at once: exactly one online and one offline, and REST ends offline", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const seen = record<UserStatus>(w, "user:status");
    const online = waitFor(w, "user:status", 3000, statusOf(bob.id, "online"));
    const tabs = await Promise.all(Array.from({ length: 5 }, () => chat.connect(bob)));
    await online;
    await statusBarrier(chat.server, w);
    expect(seen.filter((p) => p.userId === bob.id)).toEqual([{ userId: bob.id, status: "online" }]);
    const offline = waitFor(w, "user:status", 3000, statusOf(bob.id, "offline"));
    const closed = tabs.map((tab) => closedOnServer(chat.server, tab));
    for (const tab of tabs) tab.disconnect();
    await Promise.all(closed);
    await offline;
    await statusBarrier(chat.server, w);
    expect(seen.filter((p) => p.userId === bob.id).map((p) => p.status)).toEqual(["online", "offline"]);
    expect((await profile(chat, watcher, bob.id)).status).toBe("offline");
  });

  test("a user whose token expires goes offline for the others", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w = await chat.connect(watcher);
    const online = waitFor(w, "user:status", 2000, statusOf(bob.id, "online"));
    const offline = waitFor(w, "user:status", 5000, statusOf(bob.id, "offline"));
    await chat.connect(await signToken({ sub: bob.id, exp: expiringSoon() }));
    await online;
    await offline;
  });

  test("closing the app drops every socket as socket.io's close does (clients see 'transport close' and may reconnect) and stores its users offline", async () => {
    const chat = await startChat();
    try {
      const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
      const sockets = [await chat.connect(ada), await chat.connect(bob), await chat.connect(bob)];
      const reasons = sockets.map((s) => waitFor<string>(s, "disconnect", 3000));
      await chat.server.app.close();
      // Not "io server disconnect": that would tell clients not to come back after a restart.
      expect(await Promise.all(reasons)).toEqual(["transport close", "transport close", "transport close"]);
      const db = chat.server.app.database.db;
      const rows = await db.select().from(schema.userPresence).where(inArray(schema.userPresence.userId, [ada.id, bob.id]));
      expect(rows.map((r) => [r.userId, r.status]).sort()).toEqual([[ada.id, "offline"], [bob.id, "offline"]].sort());
    } finally {
      await chat[Symbol.asyncDispose]();
    }
  });

  test("another user's online and offline reach every tab of a watcher", async () => {
    await using chat = await startChat();
    const [watcher, bob] = [await chat.user("Watcher"), await chat.user("Bob")];
    const w1 = await chat.connect(watcher);
    const w2 = await chat.connect(watcher);
    const both = [w1, w2].map((s) => waitFor(s, "user:status", 2000, statusOf(bob.id, "online")));
    const b = await chat.connect(bob);
    await Promise.all(both);
    const offlineBoth = [w1, w2].map((s) => waitFor(s, "user:status", 2000, statusOf(bob.id, "offline")));
    b.disconnect();
    await Promise.all(offlineBoth);
  });
});
