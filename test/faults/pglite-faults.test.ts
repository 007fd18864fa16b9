// The embedded database's faults: a statement that holds PGlite's one thread (the worker runs one at a
// time) makes sends wait; they fail at the statement deadline instead of queueing without end,
// /readyz keeps answering at once, and a shutdown does not wait for the statement to finish.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { eventually, pgliteScene, timedGet, timedSend } from "./support.ts";

describe("PGlite faults", () => {
  test("a wedged embedded database: a send fails with UNAVAILABLE at the statement deadline, /readyz answers 503 within 1 s, and all is well once the statement ends", async () => {
    // A quick health probe, so a short wedge is enough: PGlite's pg_sleep spins its thread (a core's worth of CPU).
    await using scene = await pgliteScene({ DB_STATEMENT_TIMEOUT_MS: "500", DB_HEALTH_INTERVAL_MS: "200", DB_HEALTH_TIMEOUT_MS: "300" });
    const { chat, room, sockets } = scene;
    const [socket] = sockets;
    if (!socket) throw new Error("no socket");
    expect((await timedSend(socket, room.id, "before")).code).toBe("OK");

    // Drizzle runs a query when it is awaited (then), not when it is built.
    const wedge = chat.server.app.database.db.execute(sql`select pg_sleep(2)`).then(() => {});
    const stuck = await timedSend(socket, room.id, "behind the long statement");
    expect(stuck.code).toBe("UNAVAILABLE");
    expect(stuck.ms).toBeLessThan(2500);
    await eventually("/readyz 503", async () => {
      const ready = await timedGet(`${chat.url}/readyz`);
      expect(ready.ms).toBeLessThan(1000);
      return ready.status === 503 ? true : undefined;
    });

    await wedge;
    await eventually("an ok send", async () => ((await timedSend(socket, room.id, "after")).code === "OK" ? true : undefined), 5000);
    await eventually("/readyz 200", async () => ((await timedGet(`${chat.url}/readyz`)).status === 200 ? true : undefined), 5000);
  });

  test("app.close() with a wedged embedded database returns within SHUTDOWN_TIMEOUT_MS", async () => {
    await using scene = await pgliteScene({ SHUTDOWN_TIMEOUT_MS: "1500" });
    const { chat, room, sockets } = scene;
    const [socket] = sockets;
    if (!socket) throw new Error("no socket");
    void chat.server.app.database.db.execute(sql`select pg_sleep(30)`).catch(() => {});
    const inFlight = timedSend(socket, room.id, "in flight");
    // An unknown event is answered at once, after the send before it was taken: the send is in flight.
    await socket.timeout(2000).emitWithAck("no:such-event");
    const started = performance.now();
    await chat.server.app.close();
    expect(performance.now() - started).toBeLessThan(3000);
    expect((await inFlight).code).not.toBe("OK");
  });
});
