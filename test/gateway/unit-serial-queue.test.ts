// The keyed serial queue (src/lib/serial-queue.ts) the gateway orders each socket's events and each
// user's presence writes with: order per key, independence across keys, failures isolated, idle().
import { describe, expect, test } from "bun:test";
import { createKeyedSerialQueue } from "../../src/lib/serial-queue.ts";
import { rejectionOf } from "../support/promises.ts";

/** Yields one event-loop turn: a task that is really asynchronous, without waiting on the clock. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("keyed serial queue", () => {
  test("tasks of one key run one at a time in order; other keys do not wait", async () => {
    const queue = createKeyedSerialQueue();
    const log: string[] = [];
    const gate = deferred();
    const a1 = queue.run("a", async () => {
      log.push("a1 start");
      await gate.promise;
      log.push("a1 end");
    });
    const a2 = queue.run("a", () => void log.push("a2"));
    await queue.run("b", () => void log.push("b1"));
    expect(log).toEqual(["a1 start", "b1"]);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
  });

  test("a failing task rejects its own promise only", async () => {
    const queue = createKeyedSerialQueue();
    const failed = queue.run("a", () => {
      throw new Error("boom");
    });
    const next = queue.run("a", () => 42);
    expect(await rejectionOf(failed)).toHaveProperty("message", expect.stringContaining("boom"));
    expect(await next).toBe(42);
  });

  test("idle() waits for tasks queued while waiting, and keys are dropped once done", async () => {
    const queue = createKeyedSerialQueue();
    const log: string[] = [];
    void queue.run("a", async () => {
      await nextTurn();
      void queue.run("b", async () => {
        await nextTurn();
        log.push("b");
      });
      log.push("a");
    });
    await queue.idle();
    expect(log).toEqual(["a", "b"]);
    expect(queue.size).toBe(0);
  });

  test("pending(key) counts queued and running tasks, and returns to 0 when they settle", async () => {
    const queue = createKeyedSerialQueue();
    const gate = deferred();
    const first = queue.run("a", () => gate.promise);
    const failing = queue.run("a", () => {
      throw new Error("x");
    });
    const third = queue.run("a", () => 3);
    queue.run("b", () => 0);
    expect(queue.pending("a")).toBe(3);
    expect(queue.pending("nobody")).toBe(0);
    gate.resolve();
    await first;
    expect(await rejectionOf(failing)).toHaveProperty("message", expect.stringContaining("x"));
    await third;
    await queue.idle();
    expect(queue.pending("a")).toBe(0);
    expect(queue.pending("b")).toBe(0);
  });
});
