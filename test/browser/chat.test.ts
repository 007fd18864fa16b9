// The web app in Chromium, as two people use it: sign up, a room, chat (escaped text, Enter and
// Shift+Enter), typing and presence, direct messages on every tab, and REST answers overtaken by
// realtime events. No console error in any of it. (Rooms and history: rooms.test.ts; restarts: restart.test.ts.)
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { browserMissing, holdAnswer, messageText, ready, registerUser, send, signIn, signUp, startWebServer, useBrowser, watchConsole } from "./support.ts";

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
});
