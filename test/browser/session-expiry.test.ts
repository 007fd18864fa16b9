// The web app when a session ends: with tokens that last 4 s (JWT_LIFETIME_SECONDS), the server ends
// the socket at the token's expiry and the page returns to sign-in saying why; signing in again works.
import { describe, expect, test } from "bun:test";
import { browserMissing, connected, signIn, signUp, startWebServer, useBrowser, watchConsole } from "./support.ts";

describe.skipIf(browserMissing)("an expired session in Chromium", () => {
  const browser = useBrowser();

  test(
    "an expired token signs the page out with a message",
    async () => {
      await using server = await startWebServer({ JWT_LIFETIME_SECONDS: "4" });
      const consoles = watchConsole();
      const ada = await signUp(browser(), server.url, "Ada", consoles);
      const notice = ada.page.locator(".auth .form-error", { hasText: "Your session has expired. Please sign in again." });
      await notice.waitFor();
      expect(await ada.page.locator(".shell").count()).toBe(0);
      expect(await ada.page.evaluate("sessionStorage.length")).toBe(0);

      // A fresh sign-in gets a fresh token.
      await signIn(ada.page, server.url, ada.email, ada.password);
      await connected(ada.page);
      consoles.expectClean();
      await ada.context.close();
    },
    30_000,
  );
});
