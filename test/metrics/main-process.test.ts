// The entry point with LOG_FORMAT=json, METRICS_TOKEN and METRICS_PORT as an operator sets them:
// every stderr line is one JSON object, /metrics answers on its own port with the token only, and
// neither the JWT secret, the metrics token, a user's password nor their token shows in the logs.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const JWT_SECRET = "jwt-secret-for-the-json-log-test-0123456789";
const METRICS_TOKEN = "metrics-token-for-the-json-log-test";
const PASSWORD = "a password nobody may log 42";

type Entry = { level: string; time: string; msg: string; [field: string]: unknown };

describe("src/main.ts with LOG_FORMAT=json and a metrics listener", () => {
  test("--help documents LOG_FORMAT and the metrics settings", () => {
    const result = Bun.spawnSync(["bun", MAIN, "--help"], { stdout: "pipe", stderr: "pipe" });
    const text = result.stdout.toString();
    for (const name of ["LOG_FORMAT", "METRICS_TOKEN", "METRICS_PORT", "METRICS_HOST"]) expect(text).toContain(name);
  });

  test("JSON lines, /metrics behind the token on its own port, no secret in the output", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "studyconnect-json-logs-"));
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "debug",
      LOG_FORMAT: "json",
      JWT_SECRET,
      METRICS_TOKEN,
      METRICS_PORT: "0",
      METRICS_HOST: "127.0.0.1",
    };
    delete env.DATABASE_URL;
    const child = Bun.spawn(["bun", MAIN], { env, stdout: "ignore", stderr: "pipe" });
    const stderr = lineReader(child.stderr);
    try {
      const listening = await stderr.until((entry) => entry.msg.startsWith("listening on "));
      expect(listening.level).toBe("info");
      expect(new Date(listening.time).toISOString()).toBe(listening.time);
      expect(listening.metricsAuth).toBe("bearer");
      const url = listening.msg.slice("listening on ".length);
      const metricsUrl = String(listening.metrics);
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      expect((await fetch(metricsUrl)).status).toBe(401);
      const scraped = await fetch(metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain("studyconnect_process_uptime_seconds");

      // A user signs up and in; a wrong password and a forged token are refused.
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const email = `json-logs.${crypto.randomUUID()}@example.test`;
      expect((await post("/api/auth/register", { email, password: PASSWORD, firstName: "Ada", lastName: "Log" })).status).toBe(201);
      const login = (await (await post("/api/auth/login", { email, password: PASSWORD })).json()) as { data: { token: string } };
      const token = login.data.token;
      expect((await post("/api/auth/login", { email, password: `${PASSWORD}!` })).status).toBe(401);
      expect((await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);

      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      const entries = await stderr.rest();
      expect(entries.some((entry) => entry.msg === "shut down")).toBe(true);
      const output = stderr.raw();
      for (const secret of [JWT_SECRET, METRICS_TOKEN, PASSWORD, token]) expect(output).not.toContain(secret);
    } finally {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Reads stderr line by line; every line must be one JSON object with level, time and msg. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let all = "";
  const entries: Entry[] = [];
  const parse = (line: string): Entry => {
    const entry = JSON.parse(line) as Entry;
    if (typeof entry.level !== "string" || typeof entry.time !== "string" || typeof entry.msg !== "string") {
      throw new Error(`not a log entry: ${line}`);
    }
    return entry;
  };
  const pump = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    const text = decoder.decode(value, { stream: true });
    all += text;
    buffered += text;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line !== "") entries.push(parse(line));
    return true;
  };
  return {
    async until(match: (entry: Entry) => boolean): Promise<Entry> {
      let seen = 0;
      for (;;) {
        for (; seen < entries.length; seen++) if (match(entries[seen] as Entry)) return entries[seen] as Entry;
        if (!(await pump())) throw new Error(`stderr ended before the expected line:\n${all}`);
      }
    },
    async rest(): Promise<Entry[]> {
      while (await pump());
      if (buffered !== "") entries.push(parse(buffered));
      return entries;
    },
    raw: () => all,
  };
}
