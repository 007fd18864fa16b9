// The web app in Chromium: after a server restart both pages reconnect by themselves, join their
// room again and keep chatting. No console error outside the restart itself.
import { describe, test } from "bun:test";
import { browserMissing, connected, messageText, ready, send, signUp, startWebServer, useBrowser, watchConsole } from "./support.ts";

const TEST_MS = 90_000;

describe.skipIf(browserMissing)("the web app in Chromium: restarts", () => {
  const browser = useBrowser();

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
