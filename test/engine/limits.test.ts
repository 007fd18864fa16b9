// Limits and hostile input (advisories.md §1, §8; protocol.md §4): decoders that never throw,
// prototype-key transports and sids, garbage bodies and upgrade junk that must not take the
// server down, byte limits on streamed bodies, and the polling buffer bound.
import { describe, expect, test } from "bun:test";
import { decodePacket, decodePayload, encodePayload, type EnginePacket } from "../../src/engine/parser.ts";
import {
  errorBody,
  QUIET_OPTIONS,
  rawRequest,
  RS,
  seededRandom,
  sendAndReset,
  startEngineServer,
  upgradeRequest,
  withTimeout,
  type StartedEngine,
} from "../support/engine-server.ts";

const PACKET_TYPES = new Set(["open", "close", "ping", "pong", "message", "upgrade", "noop"]);

function checkPacket(packet: EnginePacket): void {
  expect(PACKET_TYPES.has(packet.type)).toBe(true);
  if (packet.data !== undefined) expect(typeof packet.data === "string" || packet.data instanceof Uint8Array).toBe(true);
}

/** Random code units, biased towards the characters the payload grammar cares about. */
function randomText(random: () => number, maxLength: number): string {
  const interesting = ["0", "1", "2", "3", "4", "5", "6", "7", "9", "b", RS, "=", "/", "+", "A", "\u0000", "\ud800", "😀", "{"];
  let text = "";
  const length = Math.floor(random() * maxLength);
  for (let i = 0; i < length; i++) {
    text +=
      random() < 0.6
        ? (interesting[Math.floor(random() * interesting.length)] ?? "")
        : String.fromCharCode(Math.floor(random() * 0x10000));
  }
  return text;
}

async function expectStillServing(s: StartedEngine): Promise<void> {
  const { sid } = await s.handshake();
  expect((await s.post(sid, "4alive")).body).toBe("ok");
  expect((await s.get(sid)).body).toBe("4alive");
}

describe("decoders never throw (seeded fuzz)", () => {
  test("decodePacket: 2000 random byte frames and 2000 random text frames", () => {
    const random = seededRandom(0xe1e1);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      const binary = decodePacket(bytes);
      expect(binary.ok).toBe(true);
      if (binary.ok) expect(binary.value).toEqual({ type: "message", data: bytes });

      const text = randomText(random, 64);
      let result: ReturnType<typeof decodePacket> | undefined;
      expect(() => {
        result = decodePacket(text);
      }).not.toThrow();
      if (result?.ok) checkPacket(result.value);
      // Exactly the frames starting with a digit 0-6 are packets.
      expect(result?.ok).toBe(/^[0-6]/.test(text));
    }
  });

  test("decodePayload: 2000 random strings and 2000 random UTF-8-decoded byte strings", () => {
    const random = seededRandom(0xbeef);
    const decoder = new TextDecoder();
    for (let i = 0; i < 4000; i++) {
      let text: string;
      if (i % 2 === 0) {
        text = randomText(random, 200);
      } else {
        const bytes = new Uint8Array(Math.floor(random() * 200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
        text = decoder.decode(bytes);
      }
      let result: ReturnType<typeof decodePayload> | undefined;
      expect(() => {
        result = decodePayload(text);
      }).not.toThrow();
      if (result?.ok) {
        expect(result.value.length).toBe(text.split(RS).length);
        for (const packet of result.value) checkPacket(packet);
      }
    }
  });

  test("decodePayload on degenerate big inputs stays fast and answers", () => {
    const started = Date.now();
    expect(decodePayload(RS.repeat(1_000_000)).ok).toBe(false);
    expect(decodePayload("4".repeat(1_000_000)).ok).toBe(true);
    expect(decodePayload(`b${"A".repeat(999_996)}==`).ok).toBe(false); // length not a multiple of 4
    const many = Array.from({ length: 100_000 }, () => "4x").join(RS);
    const decoded = decodePayload(many);
    expect(decoded.ok && decoded.value.length).toBe(100_000);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("encodePayload ∘ decodePayload round-trips random valid packets", () => {
    const random = seededRandom(42);
    const types = ["open", "close", "ping", "pong", "upgrade", "noop"] as const;
    for (let round = 0; round < 300; round++) {
      const packets: EnginePacket[] = [];
      const count = 1 + Math.floor(random() * 8);
      for (let i = 0; i < count; i++) {
        const kind = random();
        if (kind < 0.4) {
          packets.push({ type: "message", data: randomText(random, 20).replaceAll(RS, "") });
        } else if (kind < 0.7) {
          const bytes = new Uint8Array(Math.floor(random() * 20));
          for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
          packets.push({ type: "message", data: bytes });
        } else {
          packets.push({ type: types[Math.floor(random() * types.length)] ?? "noop" });
        }
      }
      const decoded = decodePayload(encodePayload(packets));
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.value).toEqual(packets);
    }
  });
});

describe("hostile requests", () => {
  test("prototype keys as transport or sid: 400 with the right code, polling and websocket", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    for (const transport of ["__proto__", "constructor", "hasOwnProperty", "prototype"]) {
      const polling = await fetch(`${s.url}?EIO=4&transport=${transport}`);
      expect(polling.status).toBe(400);
      expect(await polling.text()).toBe(errorBody(0, "Transport unknown"));
      const ws = await rawRequest(s.port, upgradeRequest(s.port, `/engine.io/?EIO=4&transport=${transport}`));
      expect({ status: ws.status, body: ws.body }).toEqual({ status: 400, body: errorBody(0, "Transport unknown") });
    }
    for (const sid of ["__proto__", "constructor", "toString"]) {
      const polling = await s.get(sid);
      expect({ status: polling.status, body: polling.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
      const ws = await rawRequest(s.port, upgradeRequest(s.port, `/engine.io/?EIO=4&transport=websocket&sid=${sid}`));
      expect({ status: ws.status, body: ws.body }).toEqual({ status: 400, body: errorBody(1, "Session ID unknown") });
    }
    const longSid = await s.get("x".repeat(10_000));
    expect(longSid.status).toBe(400);
    await expectStillServing(s);
  });

  test("garbage POST bodies are refused with 400 and never take the server down", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const bodies: Array<[string, string | Uint8Array]> = [
      ["empty body", ""],
      ["two separators", `${RS}${RS}`],
      ["one separator", RS],
      ["trailing separator", `4a${RS}`],
      ["100k separators", RS.repeat(100_000)],
      ["non-UTF-8 bytes", new Uint8Array([0xff, 0xfe, 0x80, 0xc3])],
      ["lone surrogate as CESU bytes", new Uint8Array([0x34, 0xed, 0xa0, 0x80, 0x1e, 0xff])],
      ["NUL type", "\u0000"],
      ["type 7", "7x"],
      ["type 9", "9"],
      ["letter type", "x"],
      ["bad base64", "b!!!!"],
      ["base64 bad length", "bAQI"],
      ["base64 only padding", "b===="],
      ["base64 then garbage", `bAQIDBA==${RS}zz`],
      ["NaN-ish", "NaN"],
      ["JSON", '{"type":"message"}'],
    ];
    for (const [label, body] of bodies) {
      const { sid } = await s.handshake();
      const response = await s.post(sid, body);
      expect({ label, status: response.status }).toEqual({ label, status: 400 });
    }
    expect(s.messages).toHaveLength(0);
    await expectStillServing(s);
  });

  test("odd but valid POST bodies are accepted: NUL data, empty message, noop, open, upgrade packets", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    expect((await s.post(sid, `4\u0000${RS}4${RS}6${RS}0${RS}5${RS}5garbage${RS}b`)).body).toBe("ok");
    expect((await s.get(sid)).body).toBe(`4\u0000${RS}4${RS}b`);
    expect(s.closes).toHaveLength(0);
  });

  test("a chunked POST (no Content-Length) over maxHttpBufferSize → 413; the session keeps working", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { sid } = await s.handshake();
    const chunk = new TextEncoder().encode(`4${"c".repeat(599)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(s.pollUrl(sid), { method: "POST", body, headers: { "content-type": "text/plain" } });
    expect(response.status).toBe(413);
    expect(s.messages).toHaveLength(0);
    expect((await s.post(sid, "4small")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4small");
  });

  test("a declared Content-Length over maxHttpBufferSize → 413 without reading the body", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1000 });
    const { sid } = await s.handshake();
    const head =
      `POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
      `Host: 127.0.0.1:${s.port}\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\n4xxxx`;
    const response = await rawRequest(s.port, head, 2000);
    expect(response.status).toBe(413);
    await expectStillServing(s);
  });

  test("a WebSocket upgrade followed at once by non-frame bytes does not crash (CVE-2022-21676)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const junk = "test\r\n\u0000\u00ff garbage";
    const direct = await rawRequest(s.port, upgradeRequest(s.port, "/engine.io/?EIO=4&transport=websocket") + junk, 500);
    expect([0, 101]).toContain(direct.status);
    const { sid } = await s.handshake();
    const upgrade = await rawRequest(
      s.port,
      upgradeRequest(s.port, `/engine.io/?EIO=4&transport=websocket&sid=${sid}`) + junk,
      500,
    );
    expect([0, 101]).toContain(upgrade.status);
    // The polling session survives a broken upgrade attempt.
    expect((await s.post(sid, "4after junk")).body).toBe("ok");
    expect((await withTimeout(s.get(sid), 1000, "GET")).body).toBe("4after junk");
    await expectStillServing(s);
  });

  test("an h2c upgrade reset at once, and an Origin with control characters, do not crash (CVE-2022-41940)", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const h2c =
      `GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n` +
      "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
    await sendAndReset(s.port, h2c);
    await sendAndReset(s.port, upgradeRequest(s.port, "/elsewhere"));
    const badOrigin =
      `GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n` +
      "Origin: http://a\u0001b\u007f.example\r\n\r\n";
    const answered = await rawRequest(s.port, badOrigin, 1000);
    expect(answered.status).toBeGreaterThanOrEqual(200);
    await expectStillServing(s);
  });

  test("repeated 2probe on an upgrading WebSocket neither crashes nor breaks the session", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const { sid } = await s.handshake();
    const ws = s.connectWs(`sid=${sid}`);
    expect(await ws.opened).toBe(true);
    for (let i = 0; i < 50; i++) ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    // Whatever the server makes of the repeats (answer them, or abort the upgrade and close this
    // WebSocket), the session itself survives and polling works once the WebSocket is gone.
    ws.close();
    await ws.waitClosed(1000);
    expect(s.closes).toHaveLength(0);
    expect((await s.post(sid, "4still")).body).toBe("ok");
    const next = await withTimeout(s.get(sid), 1000, "GET");
    expect(next.body.split(RS)).toContain("4still");
    expect((await s.session(sid)).transport).toBe("polling");
  });

  test("a polling client that stops polling is closed once backpressureLimit is queued", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, backpressureLimit: 10_000 });
    const { sid } = await s.handshake();
    const session = await s.session(sid);
    for (let i = 0; i < 30 && !session.closed; i++) session.send("q".repeat(1000));
    const closed = await s.closeOf(sid, 1000);
    expect(closed.reason).toBe("transport error");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("200 concurrent handshakes: distinct sessions, all closed by engine.close()", async () => {
    await using s = await startEngineServer(QUIET_OPTIONS);
    const results = await Promise.all(Array.from({ length: 200 }, () => s.handshake()));
    expect(new Set(results.map((r) => r.sid)).size).toBe(200);
    expect(s.engine.clientsCount).toBe(200);
    s.engine.close();
    expect(s.engine.clientsCount).toBe(0);
    expect(s.closes).toHaveLength(200);
  });
});
