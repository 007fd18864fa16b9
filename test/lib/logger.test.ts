// The logger's two formats: text lines as before, and LOG_FORMAT=json's one JSON object per line
// with level, time, msg and the fields; errors with their cause chain; secrets redacted in both.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/logger.ts";
import { maskSecrets, REDACTED } from "../../src/lib/redact.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0";
const PASSWORD = "correct horse battery staple";

function capture(format: "text" | "json", level: "debug" | "info" = "debug") {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => void lines.push(line), format) };
}

describe("JSON logs", () => {
  test("one object per line with level, ISO time, msg and the fields", () => {
    const { lines, logger } = capture("json");
    logger.info("room created", { roomId: "r1", members: 3, nested: { ok: true } });
    logger.debug("no fields");
    expect(lines).toHaveLength(2);
    const entry = JSON.parse(lines[0] as string);
    expect(entry).toEqual({ level: "info", time: expect.any(String), msg: "room created", roomId: "r1", members: 3, nested: { ok: true } });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
    expect(Object.keys(entry).slice(0, 3)).toEqual(["level", "time", "msg"]);
    expect(JSON.parse(lines[1] as string)).toEqual({ level: "debug", time: expect.any(String), msg: "no fields" });
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });

  test("an error field carries its cause chain with codes, without the query's parameters", () => {
    const { lines, logger } = capture("json");
    const driver = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const wrapped = new Error(`Failed query: insert into users values ($1)\nparams: ${PASSWORD}`, { cause: driver });
    logger.error("socket event failed", { event: "message:send", error: wrapped });
    const entry = JSON.parse(lines[0] as string);
    expect(entry.level).toBe("error");
    expect(entry.error).toBe("Failed query: insert into users values ($1) <- [57P01] terminating connection due to administrator command");
    expect(lines[0]).not.toContain(PASSWORD);
  });

  test("a field named like the entry's own keys does not replace them", () => {
    const { lines, logger } = capture("json");
    logger.warn("real message", { msg: "field", level: "x", time: 1 });
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: "warn",
      time: expect.any(String),
      msg: "real message",
      field_msg: "field",
      field_level: "x",
      field_time: 1,
    });
  });

  test("values JSON cannot hold do not lose the entry", () => {
    const { lines, logger } = capture("json");
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    logger.info("odd fields", { big: 10n, cyclic });
    const entry = JSON.parse(lines[0] as string);
    expect(entry.big).toBe("10");
    expect(entry.cyclic.name).toBe("loop");
  });

  test("the level threshold applies", () => {
    const { lines, logger } = capture("json", "info");
    logger.debug("hidden");
    logger.info("shown");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["shown"]);
  });
});

describe("secrets never reach a log line", () => {
  for (const format of ["text", "json"] as const) {
    test(`${format}: secret-named fields at any depth, JWTs and bearer credentials are redacted`, () => {
      const { lines, logger } = capture(format);
      logger.info("login attempt", {
        email: "ada@example.test",
        password: PASSWORD,
        token: JWT,
        request: { headers: { Authorization: `Bearer ${JWT}`, cookie: "sid=abc" } },
        jwtSecret: "x".repeat(40),
        list: [{ newPassword: PASSWORD }],
      });
      logger.error(`handshake with ${JWT} refused`, { error: new Error(`bad header: Bearer ${JWT}`), note: `token=${JWT}` });
      const output = lines.join("\n");
      expect(output).not.toContain(PASSWORD);
      expect(output).not.toContain(JWT);
      expect(output).not.toContain("x".repeat(40));
      expect(output).not.toContain("sid=abc");
      expect(output).toContain("ada@example.test");
      expect(output).toContain(REDACTED);
    });
  }

  test("maskSecrets keeps ordinary text", () => {
    expect(maskSecrets("room r1 has 3 members")).toBe("room r1 has 3 members");
    expect(maskSecrets(`Authorization: Bearer abc.def`)).toBe(`Authorization: Bearer ${REDACTED}`);
  });
});

describe("text logs", () => {
  test("keep their shape: time, level, message, key=JSON fields", () => {
    const { lines, logger } = capture("text");
    logger.warn("database call failed", { code: "57014", replaced: 2 });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN database call failed code="57014" replaced=2$/);
  });
});
