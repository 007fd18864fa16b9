// The web app in Chromium, as two people use it: sign up, a room, chat (escaped text, Enter and
// Shift+Enter), typing and presence, direct messages on every tab, history paged back through
// 5 000 messages, a private room only its participants see, a server restart both pages survive, and
// REST answers overtaken by realtime events.
// No console error in any of it.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { browserMissing, connected, holdAnswer, messageText, ready, registerUser, send, signIn, signUp, startWebServer, useBrowser, watchConsole } from "./support.ts";

const TEST_MS = 90_000;

describe.skipIf(browserMissing)("the web app in Chromium", () => {
  const browser = useBrowser();

  test(
    "two people chat in a room, see each other typing and online, and exchange direct messages on every tab",
    async () => {
      await using server = await startWebServer();
      const consoles = watchConsole();
      const ada = await signUp(browser(), server.url, "Ada", consoles);
      const alan = await signUp(browser(), server.url, "Alan", consoles);
      const room = `Calculus ${crypto.randomUUID().slice(0, 8)}`;

      await ada.page.getByLabel("Room name").fill(room);
      await ada.page.getByRole("button", { name: "Create room" }).click();
      await ada.page.locator(".conversation-title", { hasText: room }).waitFor();
      // room:created reaches Alan's list without a reload; opening the room joins it.
      await alan.page.getByRole("button", { name: room }).click();
      await ready(alan.page);
      await ada.page.locator(`.member[data-user-id="${alan.id}"] .dot.online`).waitFor();

      await ada.page.getByRole("textbox", { name: "Message" }).pressSequentially("Integrals");
      await alan.page.locator(".typing", { hasText: "Ada is typing…" }).waitFor();
      await ada.page.getByRole("textbox", { name: "Message" }).press("Enter");
      await messageText(alan.page, "Integrals").waitFor();
      await alan.page.locator(".typing:empty").waitFor();

      // Shift+Enter is a new line; markup is text, never code.
      const box = alan.page.getByRole("textbox", { name: "Message" });
      await box.fill("<img src=x onerror=alert(1)>");
      await box.press("Shift+Enter");
      await box.pressSequentially("second line");
      await box.press("Enter");
      const hostile = messageText(ada.page, "second line");
      await hostile.waitFor();
      expect(await hostile.textContent()).toBe("<img src=x onerror=alert(1)>\nsecond line");
      expect(await ada.page.locator(".messages img").count()).toBe(0);

      // A direct message reaches both of Alan's tabs: the open conversation in one, an unread mark in the other.
      const alanTab = await alan.context.newPage();
      consoles.watch(alanTab);
      await signIn(alanTab, server.url, alan.email, alan.password);
      await ada.page.locator(`.member[data-user-id="${alan.id}"]`).getByRole("button", { name: "Message" }).click();
      await send(ada.page, "Are you coming on Friday?");
      await alan.page.locator(`.thread.unread[data-user-id="${ada.id}"]`).waitFor();
      await alanTab.locator(`.thread.unread[data-user-id="${ada.id}"]`).click();
      await messageText(alanTab, "Are you coming on Friday?").waitFor();
      await send(alanTab, "Yes!");
      await messageText(ada.page, "Yes!").waitFor();

      if (process.env.UPDATE_SCREENSHOT === "1") {
        await ada.page.getByRole("button", { name: room }).click();
        await messageText(ada.page, "second line").waitFor();
        writeFileSync(join(import.meta.dir, "..", "..", "docs", "screenshot.png"), await ada.page.screenshot());
      }

      // Alan's tabs close: Ada sees him go offline.
      await ada.page.getByRole("button", { name: room }).click();
      await ada.page.locator(`.member[data-user-id="${alan.id}"] .dot.online`).waitFor();
      await alanTab.close();
      await alan.page.getByRole("button", { name: "Sign out" }).click();
      await alan.page.getByRole("button", { name: "Sign in" }).waitFor();
      await ada.page.locator(`.member[data-user-id="${alan.id}"] .dot.offline`).waitFor();

      consoles.expectClean();
      await ada.context.close();
      await alan.context.close();
    },
    TEST_MS,
  );

  test(
    "a room list or member list fetched before an announcement, answered after it, does not undo it",
    async () => {
      await using server = await startWebServer();
      const consoles = watchConsole();
      const ada = await signUp(browser(), server.url, "Ada", consoles);
      const alan = await signUp(browser(), server.url, "Alan", consoles);
      const grace = await registerUser(server.url, "Grace");
      const room = `Race ${crypto.randomUUID().slice(0, 8)}`;
      const marker = `Marker ${crypto.randomUUID().slice(0, 8)}`;

      // Alan's list is fetched before the room exists and held until room:created has shown the room;
      // a marker room added to the held answer shows when the page has taken it in.
      const list = await holdAnswer(
        alan.page,
        (url) => url.pathname === "/api/rooms",
        (rooms) => [...(rooms as object[]), { id: crypto.randomUUID(), name: marker, description: null, isPublic: true, createdBy: grace.id }],
      );
      await alan.page.getByRole("button", { name: "Refresh" }).click();
      await list.fetched;
      // Ada's member list is fetched before Alan joins and held until room:userJoined has shown him;
      // Grace, added to the held answer, marks when the page has taken it in.
      const details = await holdAnswer(
        ada.page,
        (url) => /^\/api\/rooms\/[0-9a-f-]{36}$/.test(url.pathname),
        (data) => {
          const room = data as { participants: object[] };
          return { ...room, participants: [...room.participants, { role: "member", user: grace }] };
        },
      );
      await ada.page.getByLabel("Room name").fill(room);
      await ada.page.getByRole("button", { name: "Create room" }).click();
      await details.fetched;

      const roomButton = alan.page.getByRole("button", { name: room });
      await roomButton.waitFor();
      list.release();
      await alan.page.getByRole("button", { name: marker }).waitFor();
      expect(await roomButton.count()).toBe(1);

      await roomButton.click();
      await ready(alan.page);
      const alansDot = ada.page.locator(`.member[data-user-id="${alan.id}"] .dot.online`);
      // The panel shows once the member list is in; the announcement is in the page before that.
      await alansDot.waitFor({ state: "attached" });
      details.release();
      await ada.page.locator(`.member[data-user-id="${grace.id}"] .dot.offline`).waitFor();
      expect(await alansDot.isVisible()).toBe(true);

      consoles.expectClean();
      await ada.context.close();
      await alan.context.close();
    },
    TEST_MS,
  );

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

  test(
    "after a server restart both pages reconnect by themselves and keep chatting",
    async () => {
      await using server = await startWebServer();
      const consoles = watchConsole();
      const ada = await signUp(browser(), server.url, "Ada", consoles);
      const alan = await signUp(browser(), server.url, "Alan", consoles);
      const room = `Restart ${crypto.randomUUID().slice(0, 8)}`;
      await ada.page.getByLabel("Room name").fill(room);
      await ada.page.getByRole("button", { name: "Create room" }).click();
      await alan.page.getByRole("button", { name: room }).click();
      await send(alan.page, "before the restart");
      await messageText(ada.page, "before the restart").waitFor();

      await consoles.allowingNetworkFailures(async () => {
        const reconnecting = [ada.page, alan.page].map((page) => page.locator('.connection[data-state="reconnecting"]').waitFor());
        await server.restart();
        await Promise.all(reconnecting);
        await connected(ada.page);
        await connected(alan.page);
      });
      // Each page joins its room again once connected.
      await ready(ada.page);
      await ready(alan.page);
      // The pages joined their room again: a message after the restart reaches the other.
      await send(ada.page, "after the restart");
      await messageText(alan.page, "after the restart").waitFor();
      await send(alan.page, "still here");
      await messageText(ada.page, "still here").waitFor();
      consoles.expectClean();
      await ada.context.close();
      await alan.context.close();
    },
    TEST_MS,
  );
});
