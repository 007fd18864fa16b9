// A hostile client cannot blow up the metrics: 10 000 distinct event names are counted under
// "other", and the event label keeps only the names the app handles.
import { describe, expect, test } from "bun:test";
import { CLIENT_EVENTS } from "../../src/gateway/index.ts";
import { emitAck, startChat } from "../support/chat-client.ts";
import { testDriver } from "../support/database.ts";
import { parseExposition, series, valueOf } from "../support/prometheus.ts";

const NAMES = 10_000;

describe(`metrics label cardinality (${testDriver})`, () => {
  test("10 000 distinct event names from one client add one series, not 10 000", async () => {
    // The event rate limit is the gateway's business; here every event must reach the server.
    await using chat = await startChat({ SOCKET_EVENTS_PER_SECOND: "1000000", SOCKET_EVENT_BURST: "1000000" });
    const socket = await chat.connect(await chat.user("Mallory"));
    const before = parseExposition(await (await fetch(`${chat.url}/metrics`)).text());
    for (let i = 0; i < NAMES; i++) socket.emit(`evil:${i}:${crypto.randomUUID()}`, i);
    // Events of one socket are handled in order: the answer to this one comes after all the others.
    const last = await emitAck(socket, "evil:last");
    expect(last).toEqual({ ok: false, error: { code: "INVALID", message: "Unknown event" } });

    const text = await (await fetch(`${chat.url}/metrics`)).text();
    const after = parseExposition(text);
    const received = series(after, "studyconnect_socketio_events_received_total");
    const labels = received.map((s) => s.labels.event);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of labels) expect([...CLIENT_EVENTS, "other"]).toContain(label ?? "(no event label)");
    expect(valueOf(after, "studyconnect_socketio_events_received_total", { event: "other" })).toBe(NAMES + 1);
    expect(text).not.toContain("evil:");
    // The scrape stays about the size it was: a histogram's first observation (event-loop lag, a
    // database operation) adds a handful of lines, the 10 000 names none.
    expect(after.samples.length).toBeLessThan(before.samples.length + 100);
  });
});
