// The domain's input rules: what counts as a valid email, password, name, message, clientId and page.
import { describe, expect, test } from "bun:test";
import { InvalidInputError } from "../../src/chat/errors.ts";
import { checkClientId, checkEmail, checkHistoryPage, checkMessageText, checkPassword, checkText, orInvalid } from "../../src/chat/rules.ts";

describe("input rules", () => {
  test("emails: trimmed, lower-cased, one @ and a dotted domain", () => {
    expect(checkEmail("  Ada@Example.COM ")).toEqual({ ok: true, value: "ada@example.com" });
    for (const bad of ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", 5, null]) {
      expect(checkEmail(bad).ok).toBe(false);
    }
    expect(checkEmail(`${"a".repeat(250)}@example.com`)).toMatchObject({ ok: false, field: "email" });
  });

  test("passwords: 8 to 256 characters, kept exactly as typed", () => {
    expect(checkPassword(" 8 chars")).toEqual({ ok: true, value: " 8 chars" });
    expect(checkPassword("7 chars")).toEqual({ ok: false, field: "password", message: "password must be at least 8 characters" });
    expect(checkPassword("x".repeat(256)).ok).toBe(true);
    expect(checkPassword("x".repeat(257))).toMatchObject({ ok: false, message: "password must be at most 256 characters" });
    expect(checkPassword(12345678)).toMatchObject({ ok: false, message: "password must be a string" });
  });

  test("names and texts: trimmed, not empty, bounded in characters, no NUL", () => {
    expect(checkText("firstName", "  Ada  ", 100)).toEqual({ ok: true, value: "Ada" });
    expect(checkText("firstName", "   ", 100)).toEqual({ ok: false, field: "firstName", message: "firstName must not be empty" });
    expect(checkText("firstName", "x".repeat(101), 100)).toMatchObject({ ok: false, message: "firstName must be at most 100 characters" });
    expect(checkText("firstName", "a\u0000b", 100)).toMatchObject({ ok: false, message: "firstName must not contain NUL characters" });
    expect(checkText("description", "", 100, { allowEmpty: true })).toEqual({ ok: true, value: "" });
  });

  test("message text: 1 to 4000 characters after trimming; an emoji counts once", () => {
    expect(checkMessageText("  hello ")).toEqual({ ok: true, value: "hello" });
    expect(checkMessageText("x".repeat(4000)).ok).toBe(true);
    expect(checkMessageText("x".repeat(4001)).ok).toBe(false);
    expect(checkMessageText("😀".repeat(4000)).ok).toBe(true);
    expect(checkMessageText("😀".repeat(4001)).ok).toBe(false);
    expect(checkMessageText(" \n\t ").ok).toBe(false);
    expect(checkMessageText("x".repeat(1_000_000)).ok).toBe(false);
    for (const bad of [undefined, null, 42, { text: "x" }, ["x"]]) expect(checkMessageText(bad).ok).toBe(false);
  });

  test("clientId: absent, or a string of 1 to 128 characters", () => {
    expect(checkClientId(undefined)).toEqual({ ok: true, value: undefined });
    expect(checkClientId(null)).toEqual({ ok: true, value: undefined });
    expect(checkClientId("c-1")).toEqual({ ok: true, value: "c-1" });
    for (const bad of ["", "x".repeat(129), 7, {}, "a\u0000"]) expect(checkClientId(bad)).toMatchObject({ ok: false, field: "clientId" });
  });

  test("history page: limit 1..100 defaulting to 50, before a positive integer", () => {
    expect(checkHistoryPage({})).toEqual({ ok: true, value: { limit: 50 } });
    expect(checkHistoryPage({ before: 10, limit: 100 })).toEqual({ ok: true, value: { before: 10, limit: 100 } });
    expect(checkHistoryPage({ limit: 101 })).toEqual({ ok: false, field: "limit", message: "limit must be an integer between 1 and 100" });
    expect(checkHistoryPage({ limit: 0 })).toMatchObject({ ok: false, field: "limit" });
    expect(checkHistoryPage({ limit: 2.5 })).toMatchObject({ ok: false, field: "limit" });
    expect(checkHistoryPage({ before: 0 })).toMatchObject({ ok: false, field: "before" });
    expect(checkHistoryPage({ before: Number.MAX_SAFE_INTEGER + 2 })).toMatchObject({ ok: false, field: "before" });
  });

  test("orInvalid turns a failed check into an InvalidInputError naming the field", () => {
    expect(orInvalid(checkMessageText("ok"))).toBe("ok");
    try {
      orInvalid(checkMessageText(""));
      throw new Error("expected a throw");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: "INVALID", field: "text", message: "text must not be empty" });
    }
  });
});
