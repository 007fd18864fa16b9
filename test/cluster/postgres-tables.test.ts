// The Postgres adapter's configured table names: checked part by part, quoted, refused otherwise.
import { describe, expect, test } from "bun:test";
import { quoteParts, tableNameParts } from "../../src/adapter/postgres-tables.ts";

describe("Postgres adapter table names", () => {
  test("a table or schema.table is split and quoted", () => {
    expect(quoteParts(tableNameParts("socket_io_attachments", "attachment table"))).toBe('"socket_io_attachments"');
    expect(quoteParts(tableNameParts("chat.Sessions_2", "session table"))).toBe('"chat"."Sessions_2"');
  });

  test("parts longer than the limit, three parts, quotes or other characters are refused, naming the table", () => {
    expect(tableNameParts("a".repeat(63), "attachment table")).toEqual(["a".repeat(63)]);
    expect(() => tableNameParts("a".repeat(64), "attachment table")).toThrow("invalid attachment table name");
    expect(tableNameParts("s".repeat(51), "session table", 51)).toEqual(["s".repeat(51)]);
    expect(() => tableNameParts("s".repeat(52), "session table", 51)).toThrow("invalid session table name");
    for (const bad of ["a.b.c", 'x"; drop table y; --', "1abc", "", "a."]) expect(() => tableNameParts(bad, "attachment table")).toThrow("invalid attachment table name");
  });
});
