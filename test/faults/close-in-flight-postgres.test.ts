// Closing a Postgres client while a statement of a connection it is still setting up is in flight
// (held there by the proxy): the database's health probe, the app's shutdown, the cluster bus. The
// statement is cancelled by the close and whoever waits on it is told; nothing is left unhandled
// (bun test fails a case on an unhandled rejection), nothing is logged as an outage, and nothing
// opens a connection after the close.
import { describe, expect, test } from "bun:test";
import { connectPostgresBus } from "../../src/cluster-bus-postgres.ts";
import { openDatabase } from "../../src/db/database.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { startChat } from "../support/chat-client.ts";
import { postgresOptions } from "../support/database.ts";
import { createFaultDatabase, postgresAnswersOrSkip } from "../support/fault-database.ts";
import { capturingLogger, eventually } from "./support.ts";

const available = await postgresAnswersOrSkip("close-in-flight tests on Postgres");

/** Settles after the microtasks and the timers due now: an unhandled rejection has been reported by then. */
const aTurnLater = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe.skipIf(!available)("a Postgres client closed while a new connection's first statement is in flight", () => {
  test("the database's health probe: its ping fails, no connection is opened after the close", async () => {
    await using db = await createFaultDatabase();
    const database = await openDatabase(postgresOptions(db.url, 2));
    const held = db.proxy.holdFirstStatement();
    const ping = database.ping(5000);
    const outcome = ping.then(
      () => "answered",
      (error: unknown) => error,
    );
    await held;
    await database.close(0);
    expect(await outcome).not.toBe("answered");
    await aTurnLater();
    // A retry of the ping would have opened a client after the close (and left it open).
    await eventually("no connection left", () => (db.proxy.open === 0 ? true : undefined));
  });

  test("the app's shutdown while its health probe connects: nothing logged as an outage", async () => {
    await using db = await createFaultDatabase();
    const log = capturingLogger();
    await using chat = await startChat({ DATABASE_URL: db.url, DB_HEALTH_INTERVAL_MS: "100" }, { ownDatabase: true, logger: log });
    // The probe opens its own connection at its first run, an interval after the start.
    await db.proxy.holdFirstStatement();
    await chat.server.close();
    await aTurnLater();
    expect(log.lines.filter((line) => / (ERROR|WARN) /.test(line))).toEqual([]);
    await eventually("no connection left", () => (db.proxy.open === 0 ? true : undefined));
  });

  test("the cluster bus while its presence connection reconnects: the presence call fails, nothing else", async () => {
    await using db = await createFaultDatabase();
    const bus = await connectPostgresBus(db.url, 5000, silentLogger, "close-in-flight");
    const presence = bus.presence({ key: "close-in-flight", nodeId: crypto.randomUUID(), timeoutMs: 15_000 });
    // The bus creates its attachment table at once: created before the cut, so the cut hits no statement.
    await eventually("the attachment table created", async () => {
      const [row] = await db.admin<{ exists: boolean }[]>`select to_regclass('socket_io_attachments') is not null as exists`;
      return row?.exists ? true : undefined;
    });
    // The bus' connections drop: the next presence call connects again, and its first statement is held.
    db.proxy.closeAll();
    const held = db.proxy.holdFirstStatement().then(() => "held" as const);
    let outcome: Promise<unknown> = Promise.resolve();
    // A call may still go to the connection being cut (and fail at once); one after it connects again.
    await eventually("a presence call held on a new connection", async () => {
      outcome = presence.online().then(
        () => "answered",
        (error: unknown) => error,
      );
      return (await Promise.race([held, outcome])) === "held" ? true : undefined;
    });
    await bus.close();
    expect(await outcome).not.toBe("answered");
    await aTurnLater();
  });
});
