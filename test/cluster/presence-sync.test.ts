// Stopping cluster presence (createPresenceSync.stop) while its heartbeat is in flight: the node
// says goodbye only after that heartbeat settled, registers nothing again after it, and a failure
// of the heartbeat its own shutdown cut short is not reported.
import { expect, test } from "bun:test";
import type { Timers } from "../../src/chat/ports.ts";
import { createPresenceSync, type LocalPresence } from "../../src/cluster/presence-sync.ts";
import type { ClusterPresenceStore } from "../../src/cluster/presence-store.ts";

/** Timers run by the test: `fire()` runs the task scheduled last. */
function manualTimers(): Timers & { fire(): void } {
  let task: (() => void) | undefined;
  return {
    now: () => Date.now(),
    schedule(next) {
      task = next;
      return () => {
        if (task === next) task = undefined;
      };
    },
    fire() {
      const next = task;
      task = undefined;
      next?.();
    },
  };
}

/** A store recording its calls in order, whose heartbeat answers when the test says. */
function recordingStore() {
  const calls: string[] = [];
  let heartbeat = Promise.withResolvers<boolean>();
  const heartbeatAsked = { promise: Promise.resolve(), resolve: () => {} };
  const store: ClusterPresenceStore = {
    nodeId: "node-a",
    async set() {
      calls.push("set");
      return { at: new Date(), before: 0, after: 1 };
    },
    async register() {
      calls.push("register");
      return { at: new Date(), users: [] };
    },
    heartbeat() {
      calls.push("heartbeat");
      heartbeatAsked.resolve();
      return heartbeat.promise;
    },
    async reap() {
      calls.push("reap");
      return { at: new Date(), offline: [] };
    },
    async online() {
      return { at: new Date(), users: [] };
    },
    async leave() {
      calls.push("leave");
    },
  };
  return {
    store,
    calls,
    /** The next heartbeat asked of the store answers with this promise. */
    holdHeartbeat(): { asked: Promise<void>; answer: PromiseWithResolvers<boolean> } {
      heartbeat = Promise.withResolvers<boolean>();
      const { promise, resolve } = Promise.withResolvers<void>();
      heartbeatAsked.promise = promise;
      heartbeatAsked.resolve = resolve;
      return { asked: promise, answer: heartbeat };
    },
  };
}

/** Settles after the microtasks and the timers due now: whatever the settled calls led to has run. */
const aTurnLater = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const tracker: LocalPresence = { snapshot: () => new Map(), takeGuessed: () => [], observed: async () => {} };

/** A started sync (registered, first heartbeat and reap answered) whose next heartbeat is in flight. */
async function heartbeatInFlight() {
  const timers = manualTimers();
  const recorded = recordingStore();
  const errors: string[] = [];
  const sync = createPresenceSync(recorded.store, { timers, heartbeatMs: 5000, onError: (_, context) => void errors.push(context) });
  const first = recorded.holdHeartbeat();
  const started = sync.start(tracker);
  await first.asked;
  first.answer.resolve(true);
  await started;
  const next = recorded.holdHeartbeat();
  timers.fire();
  await next.asked;
  recorded.calls.length = 0;
  return { sync, calls: recorded.calls, errors, answer: next.answer };
}

test("stop(true) while a heartbeat is in flight: the goodbye comes after it, and the node is not registered again", async () => {
  const { sync, calls, answer } = await heartbeatInFlight();
  const stopped = sync.stop(true);
  // Presumed dead meanwhile: before stop() this heartbeat's answer made the node register again.
  answer.resolve(false);
  await stopped;
  await aTurnLater();
  expect(calls).toEqual(["leave"]);
});

test("stop() while a heartbeat is in flight that then fails: nothing reported, nothing asked after it", async () => {
  const { sync, calls, errors, answer } = await heartbeatInFlight();
  const stopped = sync.stop(true);
  answer.reject(Object.assign(new Error("write CONNECTION_DESTROYED"), { code: "CONNECTION_DESTROYED" }));
  await stopped;
  await aTurnLater();
  expect({ calls, errors }).toEqual({ calls: ["leave"], errors: [] });
});

test("a heartbeat that fails while running is still reported", async () => {
  const { calls, errors, answer } = await heartbeatInFlight();
  answer.reject(new Error("connection refused"));
  await aTurnLater();
  expect({ calls, errors }).toEqual({ calls: [], errors: ["presence heartbeat"] });
});
