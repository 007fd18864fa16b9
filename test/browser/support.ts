// Browser test support: Debian's Chromium (its headless shell) through playwright-core (skipped, with
// one line saying why, where it is not installed), the whole app served on a port that survives a
// restart, pages that sign up through the UI, and a watch on each page's console that fails on any error.
import { afterAll, beforeAll, expect } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createApp, type App } from "../../src/app.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { testDatabase } from "../support/database.ts";
import { atProcessEnd } from "../support/process-end.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD_COST } from "../support/server.ts";

// Debian's headless shell (the "old headless" build Playwright itself runs headless) where installed:
// the full browser in headless mode runs a window's own UI renderer for every context and costs
// three times the CPU (18 s against 6 s for chat.test.ts), the suite's scarcest resource.
const HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell";
const FULL_BROWSER = "/usr/bin/chromium";
export const CHROMIUM = existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : FULL_BROWSER;
export const browserMissing = !existsSync(CHROMIUM);
if (browserMissing) console.warn(`browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium-headless-shell)`);

let launched: Promise<Browser> | undefined;

/**
 * The process's one Chromium, launched by the first browser file that runs and closed after the last
 * file (launching costs a second or two of CPU, the suite's scarcest resource; a `bun run test` worker
 * exits without closing it, and Chromium ends with the pipe to it); each file closes the contexts it
 * left open (a failed test's) after its tests.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (browserMissing) return;
    if (!launched) {
      const launching = chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
      launched = launching;
      atProcessEnd(async () => {
        launched = undefined;
        // A launch that failed has failed its file already.
        const browser = await launching.catch(() => undefined);
        await browser?.close();
      });
    }
    browser = await launched;
  });
  afterAll(async () => {
    await Promise.all((browser?.contexts() ?? []).map((context) => context.close()));
  });
  return () => {
    if (!browser) throw new Error("the browser did not start");
    return browser;
  };
}

export type WebServer = {
  url: string;
  app(): App;
  /** Stops the app and its HTTP server (gracefully, as on SIGTERM), then starts a new one on the same port. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

// Chromium, the server and PGlite share one core under `taskset -c 0`: a health probe may wait
// seconds there, and these tests are not about outages (test/faults is), so it gets 10 s.
const TEST_ENV = { NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "silent", SHUTDOWN_TIMEOUT_MS: "2000", DB_HEALTH_TIMEOUT_MS: "10000" };

/** The whole app (web page, REST, Socket.IO) on the shared test database, on 127.0.0.1. */
export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  const config: Config = loadConfig({ ...TEST_ENV, ...env });
  const database = await testDatabase();
  const start = async (port: number) => {
    const app = await createApp(config, silentLogger, { database, passwordCost: TEST_PASSWORD_COST });
    return { app, server: Bun.serve({ port, hostname: "127.0.0.1", ...app.serve }) };
  };
  let running = await start(0);
  const port = running.server.port ?? 0;
  const stop = async () => {
    const { app, server } = running;
    await app.close({ stopServer: () => server.stop() });
    await server.stop(true);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    app: () => running.app,
    async restart() {
      await stop();
      running = await start(port);
    },
    [Symbol.asyncDispose]: stop,
  };
}

export type ConsoleWatch = {
  /** Watches one more page (from its first request on). */
  watch(page: Page): void;
  /**
   * Network failures are expected while the server restarts: allowed inside `during`, never outside;
   * so is a 503 (or a 400 for a session the old server forgot) from /socket.io/: a reconnection
   * reaching the old server as it shuts down is refused.
   */
  allowingNetworkFailures<T>(during: () => Promise<T>): Promise<T>;
  /** Chromium logs every 4xx answer as an error: allowed inside `during`, where the test provokes one. */
  allowingHttpErrors<T>(during: () => Promise<T>): Promise<T>;
  /** Fails the test on any console error or uncaught page error seen so far. */
  expectClean(): void;
};

const NETWORK_FAILURE = /^(Failed to load resource: net::ERR_|WebSocket connection to '.*' failed)/;
const HTTP_ERROR = /^Failed to load resource: the server responded with a status of 4\d\d /;
const SHUTTING_DOWN = /^Failed to load resource: the server responded with a status of 503 /;

export function watchConsole(): ConsoleWatch {
  const errors: string[] = [];
  const allowed = { network: 0, http: 0 };
  const allowing = async <T>(kind: keyof typeof allowed, during: () => Promise<T>): Promise<T> => {
    allowed[kind] += 1;
    try {
      return await during();
    } finally {
      allowed[kind] -= 1;
    }
  };
  const watch = (page: Page) => {
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const text = message.text();
      const url = message.location().url;
      if (allowed.network > 0 && (NETWORK_FAILURE.test(text) || ((HTTP_ERROR.test(text) || SHUTTING_DOWN.test(text)) && url.includes("/socket.io/")))) return;
      if (allowed.http > 0 && HTTP_ERROR.test(text)) return;
      errors.push(`console: ${text} (${url})`);
    });
    page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    // An alert would mean page data ran as code (the XSS case): record it and close it.
    page.on("dialog", (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  };
  return {
    watch,
    allowingNetworkFailures: (during) => allowing("network", during),
    allowingHttpErrors: (during) => allowing("http", during),
    expectClean() {
      expect(errors).toEqual([]);
    },
  };
}

export type Person = { page: Page; context: BrowserContext; id: string; email: string; firstName: string; password: string };

export const PASSWORD = "a long enough password";
export const ACTION_TIMEOUT_MS = 15_000;

/** A new browser context (its own storage: another person) with a page signed up through the form. */
export async function signUp(
  browser: Browser,
  url: string,
  firstName: string,
  consoles: ConsoleWatch,
  viewport = { width: 1280, height: 800 },
): Promise<Person> {
  const context = await browser.newContext({ viewport });
  // Well inside the test's own timeout, so a missing element fails with what was awaited.
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  consoles.watch(page);
  const email = `${firstName.toLowerCase()}.${crypto.randomUUID()}@example.test`;
  await page.goto(url);
  await page.getByRole("button", { name: "New here? Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("First name").fill(firstName);
  await page.getByLabel("Last name").fill("Tester");
  await page.getByRole("button", { name: "Create account" }).click();
  await connected(page);
  const idText = (await page.locator(".me-id").textContent()) ?? "";
  return { page, context, id: idText.replace(/^id /, ""), email, firstName, password: PASSWORD };
}

/** Signs in on a page showing the sign-in form. */
export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await connected(page);
}

export async function connected(page: Page): Promise<void> {
  await page.locator('.connection[data-state="connected"]').waitFor();
}

/** Waits until the open conversation's box takes text (a room: joined). */
export async function ready(page: Page): Promise<void> {
  await page.getByRole("textbox", { name: "Message" }).and(page.locator(":enabled")).waitFor();
}

/** Sends `text` from the open conversation's box with Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await ready(page);
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** A message with exactly this text in the open conversation. */
export function messageText(page: Page, text: string) {
  return page.locator(".messages .message .text").filter({ hasText: text });
}

export type HeldAnswer = {
  /** Settles once the request has been answered by the server (the answer is then held). */
  fetched: Promise<void>;
  /** Hands the held answer to the page. */
  release(): void;
};

/**
 * Holds the server's answer to the page's next GET matching `matches` until released (an answer
 * overtaken by realtime events), passing its `data` through `change` first: a test adds a marker to
 * it, to see on the page when the page has taken the answer in.
 */
export async function holdAnswer(page: Page, matches: (url: URL) => boolean, change: (data: unknown) => unknown): Promise<HeldAnswer> {
  const fetched = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  let held = false;
  await page.route(
    (url) => matches(url),
    async (route) => {
      if (held || route.request().method() !== "GET") return route.fallback();
      held = true;
      const response = await route.fetch();
      const envelope = (await response.json()) as { data: unknown };
      fetched.resolve();
      await released.promise;
      await route.fulfill({ response, json: { ...envelope, data: change(envelope.data) } });
    },
  );
  return { fetched: fetched.promise, release: () => released.resolve() };
}

/** A user registered over REST, never signed in to a page. */
export async function registerUser(url: string, firstName: string): Promise<{ id: string; firstName: string; lastName: string }> {
  const response = await fetch(`${url}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${firstName.toLowerCase()}.${crypto.randomUUID()}@example.test`, password: PASSWORD, firstName, lastName: "Tester" }),
  });
  const body = (await response.json()) as { data: { user: { id: string; firstName: string; lastName: string } } };
  return body.data.user;
}
