// Disconnecting a socket when its token expires (src/gateway/session-expiry.ts), on a manual clock:
// exactly at expiry, never after being disarmed, across delays longer than a timer can wait, and
// many sockets on one timer.
import { describe, expect, test } from "bun:test";
import { createSessionExpiry } from "../../src/gateway/session-expiry.ts";
import { MAX_TIMER_DELAY_MS, manualTimers } from "../../src/lib/timers.ts";

function fakeSocket() {
  const socket = { disconnects: 0, disconnect: () => void socket.disconnects++ };
  return socket;
}

describe("session expiry", () => {
  test("disconnects at the expiry, not before", () => {
    const timers = manualTimers(1_000);
    const socket = fakeSocket();
    createSessionExpiry(timers).arm(socket, 61_000);
    timers.advance(59_999);
    expect(socket.disconnects).toBe(0);
    timers.advance(1);
    expect(socket.disconnects).toBe(1);
    expect(timers.pending).toBe(0);
  });

  test("disarming (the socket disconnected first) cancels it", () => {
    const timers = manualTimers();
    const expiry = createSessionExpiry(timers);
    const socket = fakeSocket();
    const deadline = expiry.arm(socket, 1_000);
    expiry.disarm(deadline);
    expiry.disarm(deadline);
    timers.advance(10_000);
    expect(socket.disconnects).toBe(0);
    expect(timers.pending).toBe(0);
    expect(expiry.armed).toBe(0);
  });

  test("an already expired token is dropped from a timer, not inside the caller", () => {
    const timers = manualTimers(10_000);
    const socket = fakeSocket();
    createSessionExpiry(timers).arm(socket, 5_000);
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
    createSessionExpiry(timers).arm(socket, expiresAt);
    timers.advance(expiresAt - 1);
    expect(socket.disconnects).toBe(0);
    timers.advance(1);
    expect(socket.disconnects).toBe(1);
    expect(scheduled).toEqual([MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS, 500]);
  });

  test("many sockets share one timer; each goes at its own time, in time order, and disarmed ones never", () => {
    const timers = manualTimers();
    const expiry = createSessionExpiry(timers);
    const order: number[] = [];
    const at = [700, 100, 500, 300, 900, 200, 800, 400, 600, 1000];
    const deadlines = at.map((t) => expiry.arm({ disconnect: () => void order.push(t) }, t));
    expect(timers.pending).toBe(1);
    // Disarm one in the middle of the heap and the earliest.
    expiry.disarm(deadlines[2]!);
    expiry.disarm(deadlines[1]!);
    timers.advance(650);
    expect(order).toEqual([200, 300, 400, 600]);
    expect(timers.pending).toBe(1);
    timers.advance(10_000);
    expect(order).toEqual([200, 300, 400, 600, 700, 800, 900, 1000]);
    expect(timers.pending).toBe(0);
    expect(expiry.armed).toBe(0);
  });
});
