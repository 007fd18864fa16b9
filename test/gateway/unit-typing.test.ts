// The typing state machine (src/chat/typing.ts) on a manual clock: one announcement per change,
// bursts coalesced into a longer expiry, expiry after 5 s of silence, stop/stopAll.
import { describe, expect, test } from "bun:test";
import { createTypingIndicator, TYPING_EXPIRY_MS } from "../../src/chat/typing.ts";
import { manualTimers } from "../../src/lib/timers.ts";

function setup() {
  const timers = manualTimers();
  const announced: [string, boolean][] = [];
  const typing = createTypingIndicator({ timers, announce: (roomId, isTyping) => void announced.push([roomId, isTyping]) });
  return { timers, announced, typing };
}

describe("typing indicator", () => {
  test("the expiry is 5 s", () => {
    expect(TYPING_EXPIRY_MS).toBe(5_000);
  });

  test("start announces once; stop announces the end and cancels the expiry", () => {
    const { timers, announced, typing } = setup();
    expect(typing.start("r1")).toBe(true);
    expect(announced).toEqual([["r1", true]]);
    expect(typing.stop("r1")).toBe(true);
    expect(announced).toEqual([["r1", true], ["r1", false]]);
    expect(timers.pending).toBe(0);
    timers.advance(10_000);
    expect(announced).toHaveLength(2);
  });

  test("without a new start the state expires after 5 s, announcing false once", () => {
    const { timers, announced, typing } = setup();
    typing.start("r1");
    timers.advance(4_999);
    expect(announced).toEqual([["r1", true]]);
    timers.advance(1);
    expect(announced).toEqual([["r1", true], ["r1", false]]);
    expect(typing.isTyping("r1")).toBe(false);
    timers.advance(60_000);
    expect(announced).toHaveLength(2);
  });

  test("a burst of starts is one announcement, and each start pushes the expiry back", () => {
    const { timers, announced, typing } = setup();
    typing.start("r1");
    for (let i = 0; i < 10; i++) {
      timers.advance(4_000);
      expect(typing.start("r1")).toBe(false);
    }
    expect(announced).toEqual([["r1", true]]);
    expect(timers.pending).toBe(1);
    timers.advance(4_999);
    expect(announced).toEqual([["r1", true]]);
    timers.advance(1);
    expect(announced).toEqual([["r1", true], ["r1", false]]);
  });

  test("a stop while not typing announces nothing", () => {
    const { announced, typing } = setup();
    expect(typing.stop("r1")).toBe(false);
    typing.start("r1");
    typing.stop("r1");
    expect(typing.stop("r1")).toBe(false);
    expect(announced).toEqual([["r1", true], ["r1", false]]);
  });

  test("rooms are independent; stopAll ends every room once and leaves no timer", () => {
    const { timers, announced, typing } = setup();
    typing.start("r1");
    timers.advance(3_000);
    typing.start("r2");
    timers.advance(2_000);
    expect(announced).toEqual([["r1", true], ["r2", true], ["r1", false]]);
    typing.start("r3");
    typing.stopAll();
    expect(announced.slice(3)).toEqual([["r3", true], ["r2", false], ["r3", false]]);
    expect(timers.pending).toBe(0);
    typing.stopAll();
    expect(announced).toHaveLength(6);
  });

  test("typing again after an expiry announces again", () => {
    const { timers, announced, typing } = setup();
    typing.start("r1");
    timers.advance(5_000);
    expect(typing.start("r1")).toBe(true);
    expect(announced).toEqual([["r1", true], ["r1", false], ["r1", true]]);
  });

  test("the expiry can be configured", () => {
    const timers = manualTimers();
    const announced: boolean[] = [];
    const typing = createTypingIndicator({ timers, expiryMs: 100, announce: (_, isTyping) => void announced.push(isTyping) });
    typing.start("r1");
    timers.advance(100);
    expect(announced).toEqual([true, false]);
  });
});
