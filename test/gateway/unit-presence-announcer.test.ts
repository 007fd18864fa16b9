// user:status announcements leave in windows (src/gateway/presence-announcer.ts): a window closes after
// a quiet gap, at the latest after a bound, or once its frames (changes × sockets online) reach a
// budget; its changes go out together, in order, each to everyone but the user's own sockets.
import { describe, expect, test } from "bun:test";
import { createPresenceAnnouncer, PRESENCE_MAX_WAIT_MS, PRESENCE_QUIET_MS, PRESENCE_WINDOW_FRAMES } from "../../src/gateway/presence-announcer.ts";
import type { GatewayServer } from "../../src/gateway/types.ts";
import { manualTimers } from "../../src/lib/timers.ts";

/** Records io.except(room).emit(event, payload) calls; `online` sockets are connected. */
function fakeIo(online = 10) {
  const sent: string[] = [];
  const io = {
    sockets: { sockets: { size: online } },
    except: (room: string) => ({
      emit: (event: string, payload: { userId: string; status: string }) => void sent.push(`${event} ${payload.userId} ${payload.status} except ${room}`),
    }),
  };
  return { sent, io: io as unknown as GatewayServer };
}

const shortWindow = { quietMs: 10, maxWaitMs: 100, windowFrames: 1_000 };

describe("presence announcer", () => {
  test("changes within one window go out together once a quiet gap passes, in order", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo();
    const announcer = createPresenceAnnouncer(io, timers, shortWindow);
    announcer.announce("u1", "online");
    timers.advance(5);
    announcer.announce("u2", "online");
    announcer.announce("u1", "offline");
    timers.advance(9);
    expect(sent).toEqual([]);
    expect(timers.pending).toBe(1);
    timers.advance(1);
    expect(sent).toEqual([
      "user:status u1 online except user:u1",
      "user:status u2 online except user:u2",
      "user:status u1 offline except user:u1",
    ]);
    expect(timers.pending).toBe(0);
    announcer.announce("u3", "online");
    timers.advance(10);
    expect(sent.at(-1)).toBe("user:status u3 online except user:u3");
  });

  test("a burst that never pauses closes its window at the bound, and the next window starts fresh", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo();
    const announcer = createPresenceAnnouncer(io, timers, shortWindow);
    // A change every 5 ms (under the 10 ms gap) for 150 ms.
    for (let k = 0; k < 30; k++) {
      announcer.announce(`u${k}`, "online");
      timers.advance(5);
      if (k < 19) expect(sent).toEqual([]);
    }
    // The first 100 ms's changes (0..19, at 0..95 ms) left together at 100 ms; the rest wait for their gap.
    expect(sent).toHaveLength(20);
    expect(sent[19]).toBe("user:status u19 online except user:u19");
    timers.advance(5);
    expect(sent).toHaveLength(30);
    expect(timers.pending).toBe(0);
  });

  test("a window whose changes × sockets online reach the frame budget goes out at once", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo(250);
    const announcer = createPresenceAnnouncer(io, timers, shortWindow);
    for (let k = 0; k < 3; k++) announcer.announce(`u${k}`, "online");
    expect(sent).toEqual([]);
    announcer.announce("u3", "online"); // 4 × 250 = 1 000 frames
    expect(sent).toHaveLength(4);
    expect(timers.pending).toBe(0);
    announcer.announce("u4", "online");
    expect(sent).toHaveLength(4);
    timers.advance(10);
    expect(sent.at(-1)).toBe("user:status u4 online except user:u4");
  });

  test("flush sends what is queued at once and leaves no timer behind", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo();
    const announcer = createPresenceAnnouncer(io, timers, shortWindow);
    announcer.announce("u1", "offline");
    announcer.flush();
    expect(sent).toEqual(["user:status u1 offline except user:u1"]);
    expect(timers.pending).toBe(0);
    announcer.flush();
    expect(sent).toHaveLength(1);
  });

  test("the defaults: a 50 ms gap, a 1 s bound, and 500 users arriving at once fit in one window", () => {
    expect(PRESENCE_QUIET_MS).toBe(50);
    expect(PRESENCE_MAX_WAIT_MS).toBe(1_000);
    expect(PRESENCE_WINDOW_FRAMES).toBeGreaterThanOrEqual(500 * 500);
    const timers = manualTimers();
    const { sent, io } = fakeIo(500);
    const announcer = createPresenceAnnouncer(io, timers);
    for (let k = 0; k < 499; k++) announcer.announce(`u${k}`, "online");
    timers.advance(PRESENCE_QUIET_MS - 1);
    expect(sent).toEqual([]);
    timers.advance(1);
    expect(sent).toHaveLength(499);
  });
});
