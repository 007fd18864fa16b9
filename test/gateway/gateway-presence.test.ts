// Presence over real sockets: user:status online to the others on a user's first connection,
// nothing while a second tab opens or closes, offline (stored with lastActivity) after the last one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerUser } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { expectNoEvent, record, until, waitFor } from "../support/sio-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

type Status = { userId: string; status: "online" | "offline" };

describe(`presence (${testDriver})`, () => {
  test("online on the first tab, silence for the second, offline only after the last; the profile follows", async () => {
    const watcher = await registerUser(server.app.chat, "Wendy");
    const ada = await registerUser(server.app.chat, "Ada");
    const observer = await server.connect(watcher.token);
    const seen = record(observer, "user:status");
    const about = () => seen.map(([status]) => status as Status).filter((s) => s.userId === ada.user.id);

    const tab1 = await server.connect(ada.token);
    const ownStatus = record(tab1, "user:status");
    await until(() => (about().length === 1 ? true : undefined), 2000, "online");
    expect(about()).toEqual([{ userId: ada.user.id, status: "online" }]);
    expect(await server.app.chat.profiles.get(ada.user.id)).toMatchObject({ status: "online", lastActivity: expect.any(Date) });

    const tab2 = await server.connect(ada.token);
    tab2.disconnect();
    await expectNoEvent(observer, "user:status", 300);
    expect(about()).toHaveLength(1);
    expect((await server.app.chat.profiles.get(ada.user.id)).status).toBe("online");

    const before = Date.now();
    const offline = waitFor<[Status]>(observer, "user:status");
    tab1.disconnect();
    expect((await offline)[0]).toEqual({ userId: ada.user.id, status: "offline" });
    const profile = await server.app.chat.profiles.get(ada.user.id);
    expect(profile.status).toBe("offline");
    expect(profile.lastActivity?.getTime()).toBeGreaterThanOrEqual(before - 5);
    // A user is never told about themselves.
    expect(ownStatus.map(([s]) => (s as Status).userId)).not.toContain(ada.user.id);
  });

  test("a shutdown disconnects every socket and stores them offline before the app is closed", async () => {
    const own = await startTestServer();
    const bob = await registerUser(own.app.chat, "Bob");
    const socket = await own.connect(bob.token, { reconnection: false });
    let online = await own.app.chat.profiles.get(bob.user.id);
    for (const deadline = Date.now() + 2000; online.status !== "online" && Date.now() < deadline; await Bun.sleep(10)) {
      online = await own.app.chat.profiles.get(bob.user.id);
    }
    expect(online.status).toBe("online");
    const reason = waitFor<[string]>(socket, "disconnect");
    await own.app.close();
    // Checked right after close() resolved: the offline write did not outlive it.
    const profile = await server.app.chat.profiles.get(bob.user.id);
    expect(profile.status).toBe("offline");
    expect(profile.lastActivity?.getTime()).toBeGreaterThanOrEqual(online.lastActivity?.getTime() ?? Infinity);
    expect((await reason)[0]).toBe("transport close");
    await own.close();
  });
});
