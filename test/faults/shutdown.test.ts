// Graceful shutdown (app.close(), what SIGTERM runs): new events are refused with UNAVAILABLE, the
// events in flight finish and are acknowledged, then the sockets close, then the database.
import { describe, expect, test } from "bun:test";
import { count, eq, sql } from "drizzle-orm";
import type { Database } from "../../src/db/database.ts";
import { schema } from "../../src/db/database.ts";
import { emitAck, expectOk, startChat, waitFor, type ClientOptions } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";

/**
 * Holds every message write for `seconds`; `held` settles once writes made from then on must wait.
 * PGlite runs one statement at a time, in the order sent; Postgres waits on a table lock, which
 * must be granted before the writes start (else they finish first and nothing is in flight).
 */
async function blockWrites(database: Database, seconds: number): Promise<{ done: Promise<unknown> }> {
  // Drizzle runs a query when it is awaited (then), not when it is built.
  if (database.driver === "pglite") return { done: database.db.execute(sql`select pg_sleep(${seconds})`).then(() => {}) };
  const { promise: held, resolve } = Promise.withResolvers<void>();
  const done = database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table messages in access exclusive mode`);
    resolve();
    await tx.execute(sql`select pg_sleep(${seconds})`);
  });
  await Promise.race([held, done]);
  return { done };
}

type Ack = { ok: boolean; error?: { code: string; message: string } };

const TRANSPORTS: [string, ClientOptions][] = [
  ["long-polling upgraded to WebSocket", {}],
  ["long-polling only", { transports: ["polling"] }],
];

describe(`graceful shutdown (${testDriver})`, () => {
  test.each(TRANSPORTS)("app.close() answers every event in flight before the sockets close, and refuses new ones with UNAVAILABLE (%s)", async (_, transport) => {
    await using chat = await startChat();
    const owner = await chat.user("Ada", "Shutdown");
    const room = await chat.createRoom(owner, { name: "Closing time" });
    const sockets = await Promise.all([1, 2, 3, 4].map(() => chat.connect(owner, transport)));
    for (const socket of sockets) expectOk(await emitAck(socket, "room:join", room.id));

    const blocked = await blockWrites(chat.server.app.database, 0.5);
    const inFlight = sockets.flatMap((socket, n) =>
      [1, 2, 3].map((i) => socket.timeout(5000).emitWithAck("message:send", { roomId: room.id, text: `in flight ${n}.${i}` }) as Promise<Ack>),
    );
    // An unknown event is answered at once, after the sends before it were taken: they are in flight.
    await Promise.all(sockets.map((socket) => socket.timeout(2000).emitWithAck("no:such-event")));

    const gone = sockets.map((socket) => waitFor<string>(socket, "disconnect", 10_000));
    const closing = chat.server.app.close();
    const late = await Promise.all(
      sockets.map((socket) => socket.timeout(5000).emitWithAck("message:send", { roomId: room.id, text: "too late" }) as Promise<Ack>),
    );
    for (const ack of late) expect(ack).toEqual({ ok: false, error: { code: "UNAVAILABLE", message: expect.any(String) } });

    const acks = await Promise.all(inFlight);
    expect(acks.map((ack) => ack.ok)).toEqual(inFlight.map(() => true));
    await closing;
    // What the stock client reports when the server closes (as socket.io's io.close()); it reconnects by itself.
    for (const reason of await Promise.all(gone)) expect(reason).toBe("transport close");
    await blocked.done;

    const [stored] = await chat.server.app.database.db
      .select({ n: count() })
      .from(schema.messages)
      .where(eq(schema.messages.roomId, room.id));
    expect(stored?.n).toBe(acks.length);
  });
});
