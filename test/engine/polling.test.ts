// HTTP long-polling: the official suite's message/polling cases (protocol.md §1.1 #8–12) and the
// transport rules of §2.3 (held GETs, b+base64 binary, 413, duplicate polls, content types).
import { describe, expect, test } from "bun:test";
import type { EngineSession } from "../../src/engine/types.ts";
import {
  errorBody,
  QUIET_OPTIONS,
  RS,
  startEngineServer,
  SUITE_OPTIONS,
  withTimeout,
} from "../support/engine-server.ts";

describe("engine.io-protocol suite: message/polling", () => {
  test("#8 sends and receives a plain text packet", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const sent = await s.post(sid, "4hello");
    expect({ status: sent.status, body: sent.body }).toEqual({ status: 200, body: "ok" });
    const polled = await s.get(sid);
    expect({ status: polled.status, body: polled.body }).toEqual({ status: 200, body: "4hello" });
  });

  test("#9 sends and receives several plain text packets", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const payload = `4test1${RS}4test2${RS}4test3`;
    expect((await s.post(sid, payload)).body).toBe("ok");
    const polled = await s.get(sid);
    expect({ status: polled.status, body: polled.body }).toEqual({ status: 200, body: payload });
  });

  test("#10 sends and receives plain text and binary packets", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const payload = `4hello${RS}bAQIDBA==`;
    expect((await s.post(sid, payload)).body).toBe("ok");
    const polled = await s.get(sid);
    expect({ status: polled.status, body: polled.body }).toEqual({ status: 200, body: payload });
  });

  test("#11 closes the session upon invalid packet format", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, "abc")).status).toBe(400);
    expect((await s.get(sid)).status).toBe(400);
  });

  test("#12 closes the session upon duplicate poll requests", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const { sid } = await s.handshake();
    const [first, second] = await Promise.all([s.get(sid), s.get(sid)]);
    // Whichever reached the server first is the held poll: it gets the close packet; the other is refused.
    const results = [first, second].map((r) => `${r.status} ${r.status === 200 ? r.body : ""}`).sort();
    expect(results).toEqual(["200 1", "400 "]);
    expect((await s.get(sid)).status).toBe(400);
  });
});

describe("polling transport", () => {
  test("a POST is answered 200 'ok' with text/html", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const response = await s.post(sid, "4x");
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "ok" });
    expect(response.headers.get("content-type")).toStartWith("text/html");
  });

  test("GET responses are text/plain; charset=UTF-8", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    await s.post(sid, "4x");
    const response = await s.get(sid);
    expect(response.body).toBe("4x");
    expect(response.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
  });

  test("binary: client b+base64 arrives as Uint8Array, server Uint8Array leaves as b+base64", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, `bAQIDBA==${RS}b${RS}4text`)).body).toBe("ok");
    const received = await s.waitFor(() => (s.messages.length >= 3 ? s.messages : undefined), 1000, "3 messages");
    const [binary, emptyBinary, text] = received.map((m) => m.data);
    expect(binary).toBeInstanceOf(Uint8Array);
    expect([...(binary as Uint8Array)]).toEqual([1, 2, 3, 4]);
    expect(emptyBinary).toBeInstanceOf(Uint8Array);
    expect((emptyBinary as Uint8Array).byteLength).toBe(0);
    expect(text).toBe("text");
    expect((await s.get(sid)).body).toBe(`bAQIDBA==${RS}b${RS}4text`);

    const session = await s.session(sid);
    session.send(new Uint8Array([255, 0, 128]), "after", new Uint8Array([104, 105]).subarray(1));
    expect((await s.get(sid)).body).toBe(`b/wCA${RS}4after${RS}baQ==`);
  });

  test("text with UTF-8 (multi-byte, emoji, U+2028) survives both directions", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const text = "héllo → 世界 😀 \u2028 end";
    expect((await s.post(sid, `4${text}`)).body).toBe("ok");
    await s.waitFor(() => s.messages[0], 1000, "message");
    expect(s.messages[0]?.data).toBe(text);
    expect((await s.get(sid)).body).toBe(`4${text}`);
  });

  test("a GET is held until the server has something to send", async () => {
    let captured: EngineSession | undefined;
    await using s = await startEngineServer(QUIET_OPTIONS, (session) => {
      captured = session;
    });
    const { sid } = await s.handshake();
    const { response: poll } = await s.heldGet(sid);
    expect(captured?.id).toBe(sid);
    captured?.send("late");
    const response = await withTimeout(poll, 1000, "held GET");
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "4late" });
  });

  test("several sends while a GET is held: one GET carries every packet of the tick, in order (not one GET per packet)", async () => {
    let captured: EngineSession | undefined;
    await using s = await startEngineServer(QUIET_OPTIONS, (session) => {
      captured = session;
    });
    const { sid } = await s.handshake();
    const { response: poll } = await s.heldGet(sid);
    captured?.send("a");
    captured?.send("b", "c");
    const first = await withTimeout(poll, 1000, "held GET");
    expect(first.body).toBe(`4a${RS}4b${RS}4c`);
    // A later tick's packet goes to the next GET, held until it comes.
    const { response: next } = await s.heldGet(sid);
    captured?.send("d");
    expect((await withTimeout(next, 1000, "next GET")).body).toBe("4d");
  });

  test("a POST body over maxHttpBufferSize → 413, and the session still works", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { sid } = await s.handshake();
    const big = await s.post(sid, `4${"x".repeat(2000)}`);
    expect(big.status).toBe(413);
    expect(s.messages).toHaveLength(0);
    const small = await s.post(sid, "4still here");
    expect({ status: small.status, body: small.body }).toEqual({ status: 200, body: "ok" });
    expect((await s.get(sid)).body).toBe("4still here");
    expect(s.closes).toHaveLength(0);
  });

  test("a body of exactly maxHttpBufferSize bytes is accepted", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { sid } = await s.handshake();
    const exact = `4${"y".repeat(999)}`;
    expect((await s.post(sid, exact)).body).toBe("ok");
    expect((await s.get(sid)).body).toBe(exact);
  });

  test("an invalid packet → 400, the session is closed and then unknown (code 1)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, `4fine${RS}abc`)).status).toBe(400);
    const after = await s.get(sid);
    expect({ status: after.status, body: after.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
    expect((await s.closeOf(sid)).reason).toBe("parse error");
  });

  test("a duplicate concurrent GET: the held one gets '1', the intruder 400, then the session is gone", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const { response: held } = await s.heldGet(sid);
    const intruder = await s.get(sid);
    expect(intruder.status).toBe(400);
    const heldResponse = await withTimeout(held, 1000, "held GET");
    expect({ status: heldResponse.status, body: heldResponse.body }).toEqual({ status: 200, body: "1" });
    const after = await s.get(sid);
    expect({ status: after.status, body: after.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
    await s.closeOf(sid);
  });

  test("a client POST '1' closes the session; the held GET gets '6'", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const { response: held } = await s.heldGet(sid);
    expect((await s.post(sid, "1")).status).toBe(200);
    const heldResponse = await withTimeout(held, 1000, "held GET");
    expect({ status: heldResponse.status, body: heldResponse.body }).toEqual({ status: 200, body: "6" });
    expect((await s.get(sid)).status).toBe(400);
    expect((await s.closeOf(sid)).reason).toBe("transport close");
  });

  test("a POST with content-type application/octet-stream → 400 and the session is closed", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const response = await s.post(sid, "4hello", { "content-type": "application/octet-stream" });
    expect(response.status).toBe(400);
    expect(s.messages).toHaveLength(0);
    // protocol.md §2.3: "400 + session closed in v4" (engine.io polling.ts onDataRequest).
    expect((await s.get(sid)).status).toBe(400);
  });

  test("a held GET outlives Bun's idle timeout (the engine turns it off per held GET)", async () => {
    // Bun.serve's idleTimeout at its 1 s minimum (Bun checks it every 4 s). The sentinel is a control
    // request on the same server that nobody answers, sent after the GET: Bun's idle timeout ends it
    // at the same check as the GET or a later one, so once it has been cut off, a GET whose timeout
    // were still on would have been cut off too. No heartbeat within the test: it answers nothing.
    let captured: EngineSession | undefined;
    await using s = await startEngineServer(
      { ...QUIET_OPTIONS, pingInterval: 30_000, pingTimeout: 5_000 },
      (session) => {
        captured = session;
      },
      () => new Promise<Response>(() => {}),
      { idleTimeout: 1 },
    );
    const { sid } = await s.handshake();
    const { response: held } = await s.heldGet(sid);
    const controlOutcome = await withTimeout(
      fetch(`${s.origin}/idle-control`).then(
        (response) => `answered ${response.status}`,
        () => "cut off",
      ),
      10_000,
      "Bun's idle timeout on the control request",
    );
    expect(controlOutcome).toBe("cut off");
    captured?.send("still held");
    const response = await withTimeout(held, 1000, "held GET");
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: "4still held" });
    expect(s.closes).toHaveLength(0);
  });

  // src/engine/session.ts poll(): an aborted held GET closes the session ("poll connection closed
  // prematurely", reason "transport error"), as the reference's polling.ts onPollRequest does.
  test("a client that aborts its held GET: the server notices and closes the session (transport error)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const controller = new AbortController();
    const { response: aborted } = await s.heldGet(sid, { signal: controller.signal });
    controller.abort();
    const outcome = await aborted.then(
      () => "resolved",
      () => "rejected",
    );
    expect(outcome).toBe("rejected");
    const closed = await s.closeOf(sid, 2000);
    expect(closed.reason).toBe("transport error");
    const next = await s.get(sid);
    expect({ status: next.status, body: next.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
    expect(s.engine.clientsCount).toBe(0);
  });

  test("overlapping POSTs: both refused with 400 and the session is closed", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pulls = 0;
    const slowBody = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (pulls++ === 0) {
          controller.enqueue(new TextEncoder().encode("4first"));
          return;
        }
        await gate;
        controller.close();
      },
    });
    const firstArrived = s.requestArrived((r) => r.method === "POST" && r.sid === sid);
    const first = fetch(s.pollUrl(sid), { method: "POST", body: slowBody, headers: { "content-type": "text/plain" } });
    await firstArrived; // the server is reading its body (held open by the gate)
    const second = await s.post(sid, "4second");
    release();
    const firstResponse = await withTimeout(first, 1000, "first POST");
    expect([firstResponse.status, second.status]).toEqual([400, 400]);
    expect(s.messages).toHaveLength(0);
    expect((await s.get(sid)).status).toBe(400);
    await s.closeOf(sid);
  });

  test("a client ping '2' in a POST is a v4 protocol error: the session is closed", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    await s.post(sid, "2");
    await s.closeOf(sid);
    expect((await s.get(sid)).status).toBe(400);
  });

  test("packets after a close packet in the same POST are not dispatched", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    await s.post(sid, `4before${RS}1${RS}4after`);
    expect((await s.closeOf(sid)).reason).toBe("transport close");
    expect(s.messages.map((m) => m.data)).toEqual(["before"]);
  });

  test("session.writable: true only while a GET is held", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    expect(session.writable).toBe(false);
    const { response: held } = await s.heldGet(sid);
    expect(session.writable).toBe(true);
    session.send("x");
    expect((await held).body).toBe("4x");
    expect(session.writable).toBe(false);
  });

  test("a big POST of 5000 packets is all echoed, in order", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const sent = Array.from({ length: 5000 }, (_, i) => `4m${i}`);
    expect((await s.post(sid, sent.join(RS))).body).toBe("ok");
    const received: string[] = [];
    for (let polls = 0; received.length < sent.length && polls < 100; polls++) {
      const response = await withTimeout(s.get(sid), 2000, "GET");
      expect(response.status).toBe(200);
      received.push(...response.body.split(RS));
    }
    expect(received.length).toBe(sent.length);
    expect(received).toEqual(sent);
  });
});
