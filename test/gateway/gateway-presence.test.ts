// Presence over real sockets: user:status online to the others on a user's first connection,
// nothing while a second tab opens or closes, offline (stored with lastActivity) after the last one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registerUser } from "../support/chat.ts";
import { testDriver } from "../support/database.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { closedOnServer, statusBarrier, waitFor as waitForMatching, type UserStatus } from "../support/chat-client.ts";
import { record, waitFor } from "../support/sio-client.ts";

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

    const online = waitForMatching<UserStatus>(observer, "user:status", 2000, (s) => s.userId === ada.user.id);
    const tab1 = await server.connect(ada.token);
    const ownStatus = record(tab1, "user:status");
    await online;
    expect(about()).toEqual([{ userId: ada.user.id, status: "online" }]);
    expect(await server.app.chat.profiles.get(ada.user.id)).toMatchObject({ status: "online", lastActivity: expect.any(Date) });

    const tab2 = await server.connect(ada.token);
    const tab2Closed = closedOnServer(server, tab2);
    tab2.disconnect();
    await tab2Closed;
    await statusBarrier(server, observer);
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
    const [watcher, bob] = [await registerUser(own.app.chat, "Wendy"), await registerUser(own.app.chat, "Bob")];
    const observer = await own.connect(watcher.token, { reconnection: false });
    // A status is stored before it is announced: once the observer hears it, the profile shows it.
    const announced = waitForMatching<UserStatus>(observer, "user:status", 2000, (s) => s.userId === bob.user.id);
    const socket = await own.connect(bob.token, { reconnection: false });
    expect(await announced).toEqual({ userId: bob.user.id, status: "online" });
    const online = await own.app.chat.profiles.get(bob.user.id);
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
