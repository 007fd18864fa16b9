// GET /metrics while real socket.io-client clients connect, join rooms, chat and get refused: the
// figures move as they should (read with the test's own parser of the text format), on the suite's
// database driver (PGlite, or Postgres with DATABASE_URL).
import { describe, expect, test } from "bun:test";
import { connected, emitAck, expectOk, startChat, waitFor, type ChatHarness } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";
import { parseExposition, series, valueOf, type Scrape } from "../support/prometheus.ts";

const P = "studyconnect_";

async function scrape(chat: ChatHarness): Promise<Scrape> {
  const response = await fetch(`${chat.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

const total = (s: Scrape, name: string, labels: Record<string, string> = {}) => series(s, name, labels).reduce((sum, x) => sum + x.value, 0);
const bucket = (s: Scrape, le: string) => valueOf(s, `${P}socketio_broadcast_recipients_bucket`, { le });

describe(`GET /metrics with live clients (${testDriver})`, () => {
  test("connections, events, rooms, acks, broadcasts, refusals, database and process figures move", async () => {
    await using chat = await startChat({}, { lagIntervalMs: 5 });
    const [ada, bob] = [await chat.user("Ada"), await chat.user("Bob")];
    const room = await chat.createRoom(ada, { name: "Metrics" });

    const first = await scrape(chat);
    expect(valueOf(first, `${P}socketio_connected_sockets`, { namespace: "/", transport: "websocket" })).toBe(0);
    expect(first.families.get(`${P}socketio_events_received_total`)?.type).toBe("counter");
    expect(first.families.get(`${P}db_query_duration_seconds`)?.type).toBe("histogram");

    const a = await chat.connect(ada, { transports: ["websocket"] });
    const b = await chat.connect(bob, { transports: ["polling"] });
    expectOk(await emitAck(a, "room:join", room.id));
    expectOk(await emitAck(b, "room:join", room.id));

    const joined = await scrape(chat);
    expect(valueOf(joined, `${P}socketio_connected_sockets`, { namespace: "/", transport: "websocket" })).toBe(1);
    expect(valueOf(joined, `${P}socketio_connected_sockets`, { namespace: "/", transport: "polling" })).toBe(1);
    expect(valueOf(joined, `${P}engine_sessions`)).toBe(2);
    expect(valueOf(joined, `${P}engine_handshakes_total`, { transport: "websocket" })).toBe(1);
    expect(valueOf(joined, `${P}engine_handshakes_total`, { transport: "polling" })).toBe(1);
    expect(valueOf(joined, `${P}socketio_events_received_total`, { event: "room:join" })).toBe(2);
    // Each user's own channel and the study room.
    expect(valueOf(joined, `${P}socketio_rooms`, { namespace: "/" })).toBe(3);

    const received = waitFor(b, "message:received");
    expectOk(await emitAck(a, "message:send", { roomId: room.id, text: "hello metrics" }));
    await received;
    const sent = await scrape(chat);
    expect(valueOf(sent, `${P}socketio_events_received_total`, { event: "message:send" })).toBe(1);
    expect(valueOf(sent, `${P}socketio_events_sent_total`, { event: "message:received" })).toBe(1);
    // The message went to both members: the only broadcast of this test with two recipients.
    expect(bucket(sent, "2") - bucket(sent, "1")).toBe(1);
    expect(bucket(sent, "+Inf")).toBe(valueOf(sent, `${P}socketio_broadcast_recipients_count`));
    expect(valueOf(sent, `${P}socketio_broadcast_recipients_sum`)).toBeGreaterThanOrEqual(2);
    // Its insert, and the registrations, logins and room before it, were timed.
    expect(total(sent, `${P}db_query_duration_seconds_count`)).toBeGreaterThan(0);
    expect(valueOf(sent, `${P}db_query_duration_seconds_count`, { operation: "messages.createRoomMessage" })).toBe(1);
    expect(valueOf(sent, `${P}db_calls_in_flight`)).toBe(0);
    expect(valueOf(sent, `${P}db_pool_connections`, { driver: testDriver })).toBeGreaterThanOrEqual(1);
    expect(valueOf(sent, `${P}db_pool_max_connections`, { driver: testDriver })).toBeGreaterThanOrEqual(1);

    // An emit waiting for an ack the client never sends.
    const remote = chat.server.app.io.of("/").sockets.get(a.id ?? "");
    if (!remote) throw new Error("ada's socket is not on the server");
    (remote.emit as (event: string, ...args: unknown[]) => boolean)("probe", () => {});
    const pending = await scrape(chat);
    expect(valueOf(pending, `${P}socketio_acks_pending`, { namespace: "/" })).toBe(1);
    expect(valueOf(pending, `${P}socketio_events_sent_total`, { event: "other" })).toBe(1);

    // Refused: a handshake without a token (auth), an unknown transport (the engine's code 0).
    await chat.connectError(undefined);
    const bogus = await fetch(`${chat.url}/socket.io/?EIO=4&transport=carrier-pigeon`);
    expect(bogus.status).toBe(400);
    const refused = await scrape(chat);
    expect(valueOf(refused, `${P}handshake_refusals_total`, { reason: "auth" })).toBe(1);
    expect(valueOf(refused, `${P}handshake_refusals_total`, { reason: "unknown_transport" })).toBe(1);
    expect(valueOf(refused, `${P}handshake_refusals_total`, { reason: "origin" })).toBe(0);

    expect(valueOf(refused, `${P}process_resident_memory_bytes`)).toBeGreaterThan(1e6);
    expect(valueOf(refused, `${P}process_heap_bytes`, { kind: "used" })).toBeGreaterThan(0);
    expect(valueOf(refused, `${P}process_uptime_seconds`)).toBeGreaterThan(0);
    // The lag sampler (every 5 ms here) has run by now, or soon does.
    const lagged = await untilScrape(chat, (s) => valueOf(s, `${P}event_loop_lag_seconds_count`) > 0);
    expect(valueOf(lagged, `${P}event_loop_lag_seconds_bucket`, { le: "+Inf" })).toBe(valueOf(lagged, `${P}event_loop_lag_seconds_count`));

    a.disconnect();
    b.disconnect();
    const gone = await untilScrape(chat, (s) => total(s, `${P}socketio_connected_sockets`) === 0);
    expect(valueOf(gone, `${P}socketio_acks_pending`, { namespace: "/" })).toBe(0);
  });

  test("a socket that upgrades from polling counts under websocket afterwards", async () => {
    await using chat = await startChat();
    const ada = await chat.user("Ada");
    const socket = chat.socket(ada, { transports: ["polling", "websocket"] });
    const upgraded = new Promise<void>((resolve) => socket.io.engine.once("upgrade", () => resolve()));
    await connected(socket);
    await upgraded;
    const s = await untilScrape(chat, (x) => valueOf(x, `${P}socketio_connected_sockets`, { namespace: "/", transport: "websocket" }) === 1);
    expect(valueOf(s, `${P}socketio_connected_sockets`, { namespace: "/", transport: "polling" })).toBe(0);
    expect(valueOf(s, `${P}engine_handshakes_total`, { transport: "polling" })).toBe(1);
  });
});

/** Scrapes until `check` holds (state that changes without an event the test can wait on). */
async function untilScrape(chat: ChatHarness, check: (s: Scrape) => boolean, timeoutMs = 3000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(chat);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the metrics to change`);
    await Bun.sleep(10);
  }
}
