// The store guard: fails fast while the stores are down, at the deadline, when an outage is found
// while a call waits, and turns outage errors (only those) into UnavailableError.
import { describe, expect, test } from "bun:test";
import { UnavailableError } from "../../src/chat/errors.ts";
import type { StoreHealth } from "../../src/chat/ports.ts";
import { createStoreGuard } from "../../src/chat/store-guard.ts";
import { rejectionOf } from "../support/promises.ts";

function fakeHealth() {
  const listeners = new Set<() => void>();
  const health = {
    up: true,
    overdueCalls: 0,
    available: () => health.up,
    isOutage: (error: unknown) => error instanceof Error && error.message === "connection lost",
    overdue: () => void health.overdueCalls++,
    onOutage(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    outage() {
      for (const listener of [...listeners]) listener();
    },
  };
  return health satisfies StoreHealth;
}

const never = () => new Promise<string>(() => {});

const guardStore = <T extends object>(store: T, options: { health: StoreHealth; deadlineMs: number }): T => createStoreGuard(options).guard(store);

describe("createStoreGuard", () => {
  test("passes results and ordinary errors through", async () => {
    const health = fakeHealth();
    const store = guardStore({ get: async (id: string) => `row ${id}`, bad: async () => Promise.reject(new Error("constraint")) }, { health, deadlineMs: 1000 });
    expect(await store.get("1")).toBe("row 1");
    const error = await rejectionOf(store.bad());
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toBe("constraint");
  });

  test("an outage error becomes UnavailableError, keeping it as the cause", async () => {
    const health = fakeHealth();
    const lost = new Error("connection lost");
    const store = guardStore({ get: async () => Promise.reject(lost) }, { health, deadlineMs: 1000 });
    const error = await rejectionOf(store.get());
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).cause).toBe(lost);
  });

  test("while the stores are down, a call fails at once without reaching the store", async () => {
    const health = fakeHealth();
    health.up = false;
    let reached = false;
    const store = guardStore({ get: async () => void (reached = true) }, { health, deadlineMs: 1000 });
    expect(await rejectionOf(store.get())).toBeInstanceOf(UnavailableError);
    expect(reached).toBe(false);
  });

  test("a call waiting when an outage is found fails then", async () => {
    const health = fakeHealth();
    const store = guardStore({ get: never }, { health, deadlineMs: 60_000 });
    const waiting = store.get();
    health.outage();
    expect(await rejectionOf(waiting)).toBeInstanceOf(UnavailableError);
  });

  test("a call with no answer by the deadline fails and tells the health", async () => {
    const health = fakeHealth();
    const store = guardStore({ get: never }, { health, deadlineMs: 20 });
    expect(await rejectionOf(store.get())).toBeInstanceOf(UnavailableError);
    expect(health.overdueCalls).toBe(1);
  });
  test("an observer sees every call start and finish, named <store>.<method>, failures and throws included", async () => {
    const health = fakeHealth();
    const finished: { operation: string; seconds: number }[] = [];
    let inFlight = 0;
    const observer = {
      started: () => void inFlight++,
      finished(operation: string, seconds: number) {
        inFlight--;
        finished.push({ operation, seconds });
      },
    };
    const { promise: answer, resolve } = Promise.withResolvers<string>();
    const store = createStoreGuard({ health, deadlineMs: 1000, observer }).guard(
      {
        slow: () => answer,
        bad: async () => Promise.reject(new Error("constraint")),
        throws: (): Promise<string> => {
          throw new Error("sync");
        },
      },
      "users",
    );
    const slow = store.slow();
    expect(inFlight).toBe(1);
    resolve("row");
    expect(await slow).toBe("row");
    await rejectionOf(store.bad());
    await rejectionOf(store.throws());
    expect(inFlight).toBe(0);
    expect(finished.map((f) => f.operation)).toEqual(["users.slow", "users.bad", "users.throws"]);
    for (const { seconds } of finished) expect(seconds).toBeGreaterThanOrEqual(0);
  });
});
