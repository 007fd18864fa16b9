// The Postgres bus sends NOTIFYs without waiting for each answer when its client keeps them in order
// on one connection (`notifiesInOrder`, as the app's bus does), and one at a time on a pool; either
// way a burst, with a document that goes through the attachment table in it, arrives in order.
import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import type { BusRecord } from "../../src/adapter/cluster-protocol.ts";
import type { PostgresBusClient } from "../../src/adapter/postgres-client.ts";
import { PostgresBus } from "../../src/adapter/postgres-bus.ts";
import { dropTable, pgClient, POSTGRES_URL, postgresAvailable, uniqueCluster } from "./postgres-support.ts";

const available = await postgresAvailable("Postgres bus pipelining tests");
const { tableName } = uniqueCluster("pipelining");

afterAll(async () => {
  if (available) await dropTable(tableName);
});

/** A bus whose NOTIFYs go through one connection of their own; counts how many were unanswered at most. */
function instrumentedBus(channelPrefix: string, pool: postgres.Sql, notifier: postgres.Sql, notifiesInOrder: boolean) {
  let unanswered = 0;
  let mostUnanswered = 0;
  const client: PostgresBusClient = {
    listen: (channel, onNotify, onListen) => pool.listen(channel, onNotify, onListen),
    notify(channel, payload) {
      unanswered++;
      mostUnanswered = Math.max(mostUnanswered, unanswered);
      return notifier.notify(channel, payload).then(() => {
        unanswered--;
      });
    },
    notifiesInOrder,
    unsafe: (query, parameters) => pool.unsafe(query, parameters),
  };
  const bus = new PostgresBus(client, { channelPrefix, tableName, payloadThreshold: 8000, cleanupInterval: 60_000, onError: () => {}, onPublishDropped: () => {}, onPublishResumed: () => {} });
  return { bus, mostUnanswered: () => mostUnanswered };
}

async function burst(notifiesInOrder: boolean): Promise<{ received: unknown[]; mostUnanswered: number }> {
  const { channelPrefix } = uniqueCluster(notifiesInOrder ? "in-order" : "pool");
  const pool = pgClient();
  const notifier = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  const received: unknown[] = [];
  try {
    const sender = instrumentedBus(channelPrefix, pool, notifier, notifiesInOrder);
    const listener = instrumentedBus(channelPrefix, pool, notifier, notifiesInOrder);
    let all: () => void = () => {};
    const done = new Promise<void>((resolve) => (all = resolve));
    const count = 60;
    const unlisten = await listener.bus.listen("/", "listener", (document: BusRecord) => {
      received.push(document.seq);
      if (received.length === count) all();
    }, () => {});
    const sent: Promise<void>[] = [];
    for (let seq = 0; seq < count; seq++) {
      // One document too big for NOTIFY: it goes through the table, and nothing after it may overtake it.
      const padding = seq === 20 ? "x".repeat(9000) : "";
      sent.push(sender.bus.publish({ uid: "sender", nsp: "/", type: 3, seq, padding }));
    }
    await Promise.all(sent);
    await sender.bus.drained();
    await done;
    unlisten();
    return { received, mostUnanswered: sender.mostUnanswered() };
  } finally {
    await Promise.all([pool.end({ timeout: 1 }), notifier.end({ timeout: 1 })]);
  }
}

describe.skipIf(!available)("Postgres bus: NOTIFYs in order", () => {
  test("with notifiesInOrder the next NOTIFY goes before the previous one is answered; the burst arrives in order", async () => {
    const { received, mostUnanswered } = await burst(true);
    expect(received).toEqual([...Array(60).keys()]);
    expect(mostUnanswered).toBeGreaterThan(1);
  });

  test("on a pool (no notifiesInOrder) NOTIFYs go one at a time; the burst arrives in order", async () => {
    const { received, mostUnanswered } = await burst(false);
    expect(received).toEqual([...Array(60).keys()]);
    expect(mostUnanswered).toBe(1);
  });
});
