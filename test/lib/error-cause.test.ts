// What logs show of an error: the whole cause chain with its codes (the driver's, under Drizzle's
// "Failed query"), in one line, never the statement's parameters.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/logger.ts";
import { describeError, errorCodes } from "../../src/lib/error-cause.ts";

const driverError = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
const wrapped = new Error("Failed query: insert into messages\n  (text) values ($1)\nparams: my secret diary", { cause: driverError });

describe("error causes", () => {
  test("codes of the whole chain, outermost first", () => {
    const outer = Object.assign(new Error("unavailable", { cause: wrapped }), { code: "UNAVAILABLE" });
    expect(errorCodes(outer)).toEqual(["UNAVAILABLE", "57P01"]);
  });

  test("one line with each cause and its code, without the parameters", () => {
    expect(describeError(wrapped)).toBe("Failed query: insert into messages (text) values ($1) <- [57P01] terminating connection due to administrator command");
  });

  test("a logged error field carries its cause", () => {
    const lines: string[] = [];
    createLogger("info", (line) => void lines.push(line)).error("socket event failed", { error: wrapped });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("57P01");
    expect(lines[0]).not.toContain("my secret diary");
  });
});
