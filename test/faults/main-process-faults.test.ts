// The entry point under faults, run as a user runs it (`bun src/main.ts`): SIGTERM with a
// dead database, start-up with an unreachable one or a port in use, and two processes on one PGlite data directory
// (the second refused; a killed first one's lock taken over and its users' presence cleared).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { CHAT_CLIENT_DEFAULTS, connected, type WireProfile } from "../support/chat-client.ts";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { createFaultDatabase, postgresAnswersOrSkip } from "../support/fault-database.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { eventually } from "./support.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const JWT_SECRET = "main-process-faults-secret-0123456789abcdef";

const available = await postgresAnswersOrSkip("the Postgres cases of test/faults/main-process-faults.test.ts");

type Child = ReturnType<typeof spawnMain>;

function spawnMain(env: Record<string, string>) {
  const full: Record<string, string | undefined> = { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", JWT_SECRET, ...env };
  if (!("DATABASE_URL" in env)) delete full.DATABASE_URL;
  const child = Bun.spawn(["bun", MAIN], { env: full, stdout: "ignore", stderr: "pipe" });
  let stderr = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  return {
    child,
    stderr: () => stderr,
    /** Resolves with the URL of the "listening on" line; rejects when the process exits first. */
    async listening(ms = 20_000): Promise<string> {
      return eventually("the listening line", () => {
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) return match[1];
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before listening:\n${stderr}`);
        return undefined;
      }, ms);
    },
    /** Resolves with the exit code and the time it took from now. */
    async exit(): Promise<{ code: number; ms: number }> {
      const started = performance.now();
      const code = await child.exited;
      await reading;
      return { code, ms: performance.now() - started };
    },
  };
}

/** Kills the process if a failed test left it running. */
function cleanup(process: Child): void {
  if (process.child.exitCode === null) process.child.kill("SIGKILL");
}

async function register(url: string): Promise<{ id: string; token: string }> {
  const response = await fetch(`${url}/api/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: uniqueEmail("main"), password: TEST_PASSWORD, firstName: "Ada", lastName: "Process" }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { data: { token: string; user: { id: string } } };
  return { id: body.data.user.id, token: body.data.token };
}

async function statusOf(url: string, user: { id: string; token: string }): Promise<string> {
  const response = await fetch(`${url}/api/users/${user.id}`, { headers: { Authorization: `Bearer ${user.token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: WireProfile }).data.status;
}

/** The lines the process wrote on stderr, without blank ones. */
const linesOf = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("src/main.ts under database faults", () => {
  test.skipIf(!available)("SIGTERM with a dead database (bytes dropped) exits within 10 s", async () => {
    await using db = await createFaultDatabase();
    const server = spawnMain({ DATABASE_URL: db.url });
    try {
      const url = await server.listening();
      const user = await register(url);
      const socket = await connected(ioc(url, { ...CHAT_CLIENT_DEFAULTS, auth: { token: user.token } }));
      try {
        db.proxy.blackhole();
        // A send left in flight on the dead database.
        socket.emit("message:send", { roomId: crypto.randomUUID(), text: "never stored" }, () => {});
        server.child.kill("SIGTERM");
        const exit = await Promise.race([server.exit(), Bun.sleep(15_000).then(() => ({ code: -1, ms: 15_000 }))]);
        console.log(`SIGTERM with a dead database: exit ${exit.code} after ${Math.round(exit.ms)} ms`);
        expect(exit.ms).toBeLessThan(10_000);
        expect(exit.code).toBe(0);
      } finally {
        socket.disconnect();
      }
    } finally {
      cleanup(server);
    }
  }, 30_000);

  test("start-up with the database refused exits 1 at once with one log line", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 9 });
    await proxy.refuse();
    const server = spawnMain({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/nothing` });
    try {
      const exit = await server.exit();
      expect(exit.code).toBe(1);
      expect(exit.ms).toBeLessThan(5000);
      const lines = linesOf(server.stderr());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/ERROR .*database.*ECONNREFUSED/);
    } finally {
      cleanup(server);
      await proxy.close();
    }
  });

  test("start-up with the database partitioned exits 1 within the connect timeout, with one log line", async () => {
    await using proxy = await startTcpProxy({ host: "127.0.0.1", port: 9 });
    proxy.blackhole();
    const server = spawnMain({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/nothing`, DB_CONNECT_TIMEOUT_MS: "1000" });
    try {
      const exit = await Promise.race([server.exit(), Bun.sleep(15_000).then(() => ({ code: -1, ms: 15_000 }))]);
      expect(exit.code).toBe(1);
      expect(exit.ms).toBeLessThan(4000);
      const lines = linesOf(server.stderr());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/ERROR .*database.*CONNECT_TIMEOUT/);
    } finally {
      cleanup(server);
    }
  }, 30_000);

  test("a port in use exits 1 with one error line", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-port-"));
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const server = spawnMain({ DATA_DIR: dataDir, PORT: String(taken.port) });
    try {
      const exit = await server.exit();
      expect(exit.code).toBe(1);
      const lines = linesOf(server.stderr());
      expect(lines.filter((line) => !/ INFO /.test(line))).toEqual([expect.stringMatching(/ERROR cannot start: cannot listen on 127\.0\.0\.1:\d+/)]);
    } finally {
      cleanup(server);
      taken.stop(true);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a second process on one PGlite DATA_DIR exits 1 with one line; a killed first one's lock is taken over and its users are offline", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-lock-"));
    const first = spawnMain({ DATA_DIR: dataDir });
    let third: Child | undefined;
    try {
      const url = await first.listening();
      const user = await register(url);
      const socket = await connected(ioc(url, { ...CHAT_CLIENT_DEFAULTS, auth: { token: user.token } }));
      await eventually("online", async () => ((await statusOf(url, user)) === "online" ? true : undefined), 5000);

      const second = spawnMain({ DATA_DIR: dataDir });
      const refused = await second.exit();
      expect(refused.code).toBe(1);
      const lines = linesOf(second.stderr());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/ERROR .*in use by another process/);
      const seed = Bun.spawnSync(["bun", join(import.meta.dir, "..", "..", "src", "seed.ts")], {
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", JWT_SECRET, LOG_LEVEL: "silent" },
        stderr: "pipe",
        stdout: "pipe",
      });
      expect(seed.exitCode).toBe(1);
      expect(linesOf(seed.stderr.toString())).toEqual([expect.stringMatching(/^bun run seed failed: the data directory .* is in use by another process/)]);
      // The first one keeps working.
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      await register(url);

      first.child.kill("SIGKILL");
      await first.exit();
      socket.disconnect();
      third = spawnMain({ DATA_DIR: dataDir });
      const again = await third.listening();
      expect(await statusOf(again, user)).toBe("offline");
    } finally {
      cleanup(first);
      if (third) {
        third.child.kill("SIGTERM");
        await third.exit();
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
