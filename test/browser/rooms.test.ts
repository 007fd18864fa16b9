// The web app in Chromium: a room's history paged back through 5 000 messages on a phone-width
// screen, and a private room only its participants see, with the server's refusals shown. No console
// error in any of it.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { browserMissing, messageText, send, signUp, startWebServer, useBrowser, watchConsole } from "./support.ts";

const TEST_MS = 90_000;

describe.skipIf(browserMissing)("the web app in Chromium: rooms", () => {
  const browser = useBrowser();

  test(
    "history pages back through 5 000 messages with a bounded page, and fits a phone-width screen",
    async () => {
      await using server = await startWebServer();
      const consoles = watchConsole();
      const ada = await signUp(browser(), server.url, "Ada", consoles, { width: 390, height: 800 });
      const room = await server.app().chat.rooms.create(ada.id, { name: `Archive ${crypto.randomUUID().slice(0, 8)}` });
      // One small statement, ids in order: sending 5 000 through the app would only measure the database.
      await server.app().database.db.execute(
        sql`insert into messages (type, room_id, sender_id, text)
            select 'room', ${room.id}, ${ada.id}, 'history ' || lpad(g::text, 4, '0') from generate_series(0, 4999) g order by g`,
      );

      // Phone width: one panel at a time, nothing wider than the screen.
      await ada.page.getByRole("button", { name: "Refresh" }).click();
      await ada.page.getByRole("button", { name: room.name }).click();
      await messageText(ada.page, "history 4999").waitFor();
      expect(await ada.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      expect(await ada.page.locator(".rooms-panel").isVisible()).toBe(false);

      // Scrolling up loads older pages; the DOM keeps a bounded window.
      while ((await messageText(ada.page, "history 4500").count()) === 0) {
        const oldest = await ada.page.locator(".messages .message").first().getAttribute("data-id");
        await ada.page.evaluate("document.querySelector('.messages').scrollTo(0, 0)");
        await ada.page.locator(".messages .message").first().and(ada.page.locator(`:not([data-id="${oldest}"])`)).waitFor();
      }
      const rendered = await ada.page.locator(".messages .message").count();
      expect(rendered).toBeLessThanOrEqual(300);
      expect(await messageText(ada.page, "history 4999").count()).toBe(0);
      const order = await ada.page.locator(".messages .message .text").allTextContents();
      expect(order).toEqual([...order].sort());

      await ada.page.getByRole("button", { name: "Show latest messages" }).click();
      await messageText(ada.page, "history 4999").waitFor();
      consoles.expectClean();
      await ada.context.close();
    },
    TEST_MS,
  );


  test(
    "a private room is invisible to a non-member until its admin adds them, and the server's refusals are shown",
    async () => {
      await using server = await startWebServer();
      const consoles = watchConsole();
      const grace = await signUp(browser(), server.url, "Grace", consoles);
      const ada = await signUp(browser(), server.url, "Ada", consoles);
      const room = `Thesis ${crypto.randomUUID().slice(0, 8)}`;

      await grace.page.getByLabel("Room name").fill(room);
      await grace.page.getByLabel(/Private/).check();
      await grace.page.getByRole("button", { name: "Create room" }).click();
      await grace.page.locator(".conversation-title", { hasText: room }).waitFor();
      // Ada's list, fetched again once the room exists, does not have it.
      const listed = ada.page.waitForResponse((response) => response.url().endsWith("/api/rooms"));
      await ada.page.getByRole("button", { name: "Refresh" }).click();
      expect((await listed).status()).toBe(200);
      expect(await ada.page.getByRole("button", { name: room }).count()).toBe(0);

      // The server's refusal is shown as it said it (the browser logs the 404 itself: not a page error).
      await consoles.allowingHttpErrors(async () => {
        await grace.page.getByLabel("User id to add").fill("00000000-0000-4000-8000-000000000000");
        await grace.page.getByRole("button", { name: "Add", exact: true }).click();
        await grace.page.locator(".notice.error", { hasText: "User not found" }).waitFor();
      });

      await grace.page.getByLabel("User id to add").fill(ada.id);
      await grace.page.getByRole("button", { name: "Add", exact: true }).click();
      await grace.page.locator(`.member[data-user-id="${ada.id}"]`).waitFor();

      await ada.page.getByRole("button", { name: "Refresh" }).click();
      await ada.page.getByRole("button", { name: room }).click();
      await send(ada.page, "Thanks for adding me");
      await messageText(grace.page, "Thanks for adding me").waitFor();
      consoles.expectClean();
      await grace.context.close();
      await ada.context.close();
    },
    TEST_MS,
  );
});
