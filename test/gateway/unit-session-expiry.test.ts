// Disconnecting a socket when its token expires (src/gateway/session-expiry.ts), on a manual clock:
// exactly at expiry, never after being disarmed, and across delays longer than a timer can wait.
import { describe, expect, test } from "bun:test";
import { disconnectAtExpiry } from "../../src/gateway/session-expiry.ts";
import { MAX_TIMER_DELAY_MS, manualTimers } from "../../src/lib/timers.ts";

function fakeSocket() {
  const socket = { disconnects: 0, disconnect: () => void socket.disconnects++ };
  return socket;
}

describe("session expiry", () => {
  test("disconnects at the expiry, not before", () => {
    const timers = manualTimers(1_000);
    const socket = fakeSocket();
    disconnectAtExpiry(socket, new Date(61_000), timers);
    timers.advance(59_999);
    expect(socket.disconnects).toBe(0);
    timers.advance(1);
    expect(socket.disconnects).toBe(1);
    expect(timers.pending).toBe(0);
  });

  test("disarming (the socket disconnected first) cancels it", () => {
    const timers = manualTimers();
    const socket = fakeSocket();
    const disarm = disconnectAtExpiry(socket, new Date(1_000), timers);
    disarm();
    timers.advance(10_000);
    expect(socket.disconnects).toBe(0);
    expect(timers.pending).toBe(0);
  });

  test("an already expired token is dropped from a timer, not inside the caller", () => {
    const timers = manualTimers(10_000);
    const socket = fakeSocket();
    disconnectAtExpiry(socket, new Date(5_000), timers);
    expect(socket.disconnects).toBe(0);
    timers.advance(0);
    expect(socket.disconnects).toBe(1);
  });

  test("an expiry beyond the longest timer is reached in steps, each within the limit", () => {
    const timers = manualTimers();
    const scheduled: number[] = [];
    const schedule = timers.schedule;
    timers.schedule = (task, delayMs) => {
      scheduled.push(delayMs);
      return schedule(task, delayMs);
    };
    const socket = fakeSocket();
    const expiresAt = 2 * MAX_TIMER_DELAY_MS + 500;
    const disarm = disconnectAtExpiry(socket, new Date(expiresAt), timers);
    timers.advance(expiresAt - 1);
    expect(socket.disconnects).toBe(0);
    timers.advance(1);
    expect(socket.disconnects).toBe(1);
    expect(scheduled).toEqual([MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS, 500]);
    disarm();
  });
});
