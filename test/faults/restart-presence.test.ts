// A node killed without a shutdown (kill -9) never wrote its users' offline status; the next start
// clears what it left behind, so REST does not show them online for good.
import { describe, expect, test } from "bun:test";
import { startChat, type WireProfile } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

describe(`presence after a crash (${testDriver})`, () => {
  test("start-up marks every user still stored as online offline", async () => {
    let userId: string;
    let token: string;
    {
      await using first = await startChat();
      const ada = await first.user("Ada", "Crashed");
      userId = ada.id;
      token = ada.token;
      // What a killed node leaves: the online status stored, and no offline write ever.
      await first.server.app.chat.presence.record(ada.id, "online");
      const profile = await first.rest<WireProfile>("GET", `/api/users/${ada.id}`, ada.token);
      expect(profile.body.data.status).toBe("online");
    }
    await using second = await startChat();
    const profile = await second.rest<WireProfile>("GET", `/api/users/${userId}`, token);
    expect(profile.status).toBe(200);
    expect(profile.body.data.status).toBe("offline");
  });
});
