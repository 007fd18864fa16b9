// The web app's typing indicators (src/web/client/typing.ts has no DOM: it runs here): the line it
// shows for one, two and more people, and an indicator that ends by itself when no stop comes.
import { describe, expect, test } from "bun:test";
import { createTypingTracker } from "../../src/web/client/typing.ts";

describe("typing indicators in the web app", () => {
  test("names one or two people typing in a room, and counts more", () => {
    const tracker = createTypingTracker(() => {});
    expect(tracker.line("r1")).toBe("");
    tracker.update("r1", "u1", "Ada", true);
    expect(tracker.line("r1")).toBe("Ada is typing…");
    tracker.update("r1", "u2", "Alan", true);
    expect(tracker.line("r1")).toBe("Ada and Alan are typing…");
    tracker.update("r1", "u3", "Grace", true);
    expect(tracker.line("r1")).toBe("Several people are typing…");
    expect(tracker.line("r2")).toBe("");
    tracker.update("r1", "u2", "Alan", false);
    tracker.update("r1", "u3", "Grace", false);
    expect(tracker.line("r1")).toBe("Ada is typing…");
    tracker.clear();
    expect(tracker.line("r1")).toBe("");
  });

  test("an indicator whose stop never comes ends by itself after the expiry, once", async () => {
    const changes: string[] = [];
    let ended: () => void = () => {};
    const done = new Promise<void>((resolve) => (ended = resolve));
    const tracker = createTypingTracker((roomId) => {
      changes.push(`${roomId}:${tracker.line(roomId)}`);
      if (tracker.line(roomId) === "") ended();
    }, 50);
    const started = Date.now();
    tracker.update("r1", "u1", "Ada", true);
    tracker.update("r1", "u1", "Ada", true);
    await done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(changes).toEqual(["r1:Ada is typing…", "r1:Ada is typing…", "r1:"]);
  });
});
