// The Postgres bus pipelines its NOTIFYs on the notifier's one connection, and keeps their order when
// that connection dies with many of them in flight: everything from the first document that failed
// on is lost, and the documents the resumption listener publishes again go out before anything else.
import { afterEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { PostgresBus } from "../../src/adapter/postgres-bus.ts";
import type { PostgresBusClient, PostgresNotifier } from "../../src/adapter/postgres-client.ts";
import { createPostgresNotifier } from "../../src/cluster-bus-notifier.ts";
import { createFaultDatabase, postgresAnswersOrSkip, type FaultDatabase } from "../support/fault-database.ts";
import { eventually } from "../faults/support.ts";

const available = await postgresAnswersOrSkip("Postgres NOTIFY pipelining tests");

const CHANNEL_PREFIX = "pipelining";
const CHANNEL = `${CHANNEL_PREFIX}#/`;

type Scene = {
  db: FaultDatabase;
  bus: PostgresBus;
  /** The highest number of NOTIFYs handed to the notifier and not answered yet, at any moment. */
  maxInFlight(): number;
  /** Sequence numbers in the order a listener on the database heard them (repeats included). */
  heard: number[];
  /** The NOTIFY payloads that listener heard, as they came. */
  payloads: string[];
  /** Sequence numbers whose publish failed and that were not published again yet. */
  lost: Set<number>;
  drops: number;
  resumptions: number;
  /** How often the notifier's connection closed (a refused connection counts). */
  closes: number;
  publish(seq: number): void;
};

/** What each test started, ended after it (the database last). */
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

/**
 * A bus whose notifier reaches Postgres through the fault proxy (its pool and a listener directly).
 * Like the application's resend, the resumption listener publishes again, in order, every document
 * that failed.
 */
async function scene(): Promise<Scene> {
  const db = await createFaultDatabase();
  disposers.push(() => db[Symbol.asyncDispose]());
  const pool = postgres(db.directUrl, { max: 2, onnotice: () => {} });
  const listener = postgres(db.directUrl, { max: 1, onnotice: () => {} });
  const notifications = createPostgresNotifier(db.url, 5000);
  const real = notifications.notifier;
  disposers.push(() => Promise.all([pool.end({ timeout: 1 }), listener.end({ timeout: 1 }), notifications.end(0)]).then(() => {}));
  let inFlight = 0;
  let maxInFlight = 0;
  const notifier: PostgresNotifier = {
    notify(channel, payload) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = real.notify(channel, payload);
      const count = () => {
        inFlight--;
      };
      answer.then(count, count);
      return answer;
    },
    probe: () => real.probe(),
    onClose: (close) => real.onClose(close),
  };
  const client: PostgresBusClient = {
    listen: (channel, onNotify, onListen) => pool.listen(channel, onNotify, onListen),
    notify: (channel, payload) => pool.notify(channel, payload),
    unsafe: (query, parameters) => pool.unsafe(query, parameters),
    notifier,
  };
  const heard: number[] = [];
  const payloads: string[] = [];
  await listener.listen(CHANNEL, (payload) => {
    payloads.push(payload);
    const document: unknown = JSON.parse(payload);
    if (typeof document === "object" && document !== null && "seq" in document && typeof document.seq === "number") heard.push(document.seq);
  });
  const lost = new Set<number>();
  const state = { drops: 0, resumptions: 0, closes: 0 };
  real.onClose(() => state.closes++);
  const publish = (seq: number) => {
    bus.publish({ uid: "pipelining", type: 3, nsp: "/", seq }).then(
      () => {},
      () => lost.add(seq),
    );
  };
  const bus: PostgresBus = new PostgresBus(client, {
    channelPrefix: CHANNEL_PREFIX,
    tableName: "socket_io_attachments",
    payloadThreshold: 8000,
    cleanupInterval: 60_000,
    onError: () => {},
    onPublishDropped: () => state.drops++,
    onPublishResumed: () => {
      state.resumptions++;
      const again = [...lost].toSorted((a, b) => a - b);
      lost.clear();
      for (const seq of again) publish(seq);
    },
  });
  await bus.ready;
  return {
    db,
    bus,
    heard,
    payloads,
    lost,
    publish,
    maxInFlight: () => maxInFlight,
    get drops() {
      return state.drops;
    },
    get resumptions() {
      return state.resumptions;
    },
    get closes() {
      return state.closes;
    },
  };
}

/** Publishes `from`…`to - 1`, a burst of 32 per turn of the event loop. */
async function publishRange(s: Scene, from: number, to: number): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    s.publish(seq);
    if (seq % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Each sequence number heard at least once, and the first hearings in ascending order: no document overtook a lost one. */
function expectCompleteInOrder(heard: number[], count: number): void {
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const seq of heard) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    firsts.push(seq);
  }
  const outOfOrder = firsts.findIndex((seq, index) => index > 0 && seq < (firsts[index - 1] ?? 0));
  expect({ outOfOrder, around: outOfOrder < 0 ? [] : firsts.slice(Math.max(0, outOfOrder - 3), outOfOrder + 3) }).toEqual({ outOfOrder: -1, around: [] });
  expect(firsts.length).toBe(count);
}

/** The backends the notifier has through the proxy. */
async function notifierBackends(db: FaultDatabase): Promise<number[]> {
  const ports = db.proxy.upstreamPorts;
  const rows = await db.admin<{ pid: number; client_port: number }[]>`
    select pid, client_port from pg_stat_activity where datname = ${db.name} and application_name = 'studyconnect-bus'`;
  return rows.filter((row) => ports.includes(row.client_port)).map((row) => row.pid);
}

describe.skipIf(!available)("Postgres bus: NOTIFYs pipelined on one connection", () => {
  test("many go out before the first is answered, and arrive in the order published", async () => {
    const s = await scene();
    await publishRange(s, 0, 500);
    await s.bus.drained();
    await eventually("every NOTIFY heard", () => (s.heard.length >= 500 ? true : undefined));
    expect(s.maxInFlight()).toBeGreaterThan(1);
    expect(s.heard).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(s.drops).toBe(0);
  });

  test("payloads with quotes, backslashes and any characters arrive as sent (as the first NOTIFY of a connection and after it)", async () => {
    const s = await scene();
    const text = `it's \\ a 'quoted' \\' E'x' $$ $tag$ "json" é ✓ 😀 \n line\nbreak \t`;
    for (const seq of [0, 1]) await s.bus.publish({ uid: "pipelining", type: 3, nsp: "/", seq, text });
    await eventually("both heard", () => (s.heard.length >= 2 ? true : undefined));
    expect(s.payloads.map((payload) => (JSON.parse(payload) as { text: unknown }).text)).toEqual([text, text]);
    expect(s.payloads[0]).toBe(JSON.stringify({ uid: "pipelining", type: 3, nsp: "/", seq: 0, text }));
  });

  // Terminated: an outage follows (new connections refused). Closed by the network: back at once,
  // while postgres.js still holds NOTIFYs it had not written to the closed connection (socket
  // writes that had to wait); a new connection must not send them ahead of the ones lost.
  for (const cut of ["terminated by the server", "closed by the network"] as const) {
    test(`the connection ${cut} with NOTIFYs in flight: the lost ones go out again before any later one`, async () => {
      const s = await scene();
      const { db } = s;
      await publishRange(s, 0, 200);
      await eventually("the first ones heard", () => (s.heard.length >= 100 ? true : undefined));
      const pids = await notifierBackends(db);
      expect(pids.length).toBe(1);
      // New connections are refused until restore(); the cut comes while bursts are in flight, and
      // bursts go on until a failure is told.
      await db.proxy.refuseNew();
      let next = 200;
      let cutting: Promise<unknown> | undefined;
      while (s.drops === 0 && next < 5000) {
        await publishRange(s, next, next + 32);
        next += 32;
        if (cutting) continue;
        if (cut === "terminated by the server") cutting = db.admin`select pg_terminate_backend(${pids[0] ?? 0})`.execute();
        else cutting = Promise.resolve(db.proxy.closeAll());
      }
      await cutting;
      if (cut === "terminated by the server") {
        // Published during the outage, while connections are refused (each refusal closes one):
        // these wait for the connection or are lost too.
        const closes = s.closes;
        await publishRange(s, next, next + 100);
        next += 100;
        await eventually("a connection refused", () => (s.closes > closes ? true : undefined));
      }
      await db.proxy.restore();
      // The first document after the outage finds the connection back; the lost ones go before it.
      await publishRange(s, next, next + 100);
      next += 100;
      await eventually("everything heard", () => {
        if (s.heard.includes(next - 1) && s.lost.size === 0) return true;
        // As the application's heartbeat does: a document now and then (when one published just
        // after the outage failed too, the next one finds the connection back and the lost ones go again).
        s.publish(next++);
        return undefined;
      });
      await s.bus.drained();
      expect(s.drops).toBeGreaterThan(0);
      expect(s.resumptions).toBeGreaterThan(0);
      expect(s.maxInFlight()).toBeGreaterThan(1);
      expectCompleteInOrder(s.heard, next);
    });
  }
});
