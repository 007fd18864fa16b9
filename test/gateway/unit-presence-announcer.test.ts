// user:status announcements leave in windows (src/gateway/presence-announcer.ts): queued changes go
// out together once the window passes, in order, each to everyone but the user's own sockets.
import { describe, expect, test } from "bun:test";
import { createPresenceAnnouncer } from "../../src/gateway/presence-announcer.ts";
import type { GatewayServer } from "../../src/gateway/types.ts";
import { manualTimers } from "../../src/lib/timers.ts";

/** Records io.except(room).emit(event, payload) calls. */
function fakeIo() {
  const sent: string[] = [];
  const io = {
    except: (room: string) => ({
      emit: (event: string, payload: { userId: string; status: string }) => void sent.push(`${event} ${payload.userId} ${payload.status} except ${room}`),
    }),
  };
  return { sent, io: io as unknown as GatewayServer };
}

describe("presence announcer", () => {
  test("changes within one window go out together when it ends, in order", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo();
    const announcer = createPresenceAnnouncer(io, timers, 10);
    announcer.announce("u1", "online");
    timers.advance(5);
    announcer.announce("u2", "online");
    announcer.announce("u1", "offline");
    expect(sent).toEqual([]);
    expect(timers.pending).toBe(1);
    timers.advance(5);
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

  test("flush sends what is queued at once and leaves no timer behind", () => {
    const timers = manualTimers();
    const { sent, io } = fakeIo();
    const announcer = createPresenceAnnouncer(io, timers, 10);
    announcer.announce("u1", "offline");
    announcer.flush();
    expect(sent).toEqual(["user:status u1 offline except user:u1"]);
    expect(timers.pending).toBe(0);
    announcer.flush();
    expect(sent).toHaveLength(1);
  });
});
