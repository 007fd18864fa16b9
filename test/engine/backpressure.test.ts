// Slow consumers: a WebSocket peer that stops reading must not make the server buffer without
// bound. Its session turns unwritable (volatile packets are dropped then) and, once Bun's send
// buffer passes backpressureLimit, it is closed.
import { describe, expect, test } from "bun:test";
import type { EngineSession } from "../../src/engine/types.ts";
import { QUIET_OPTIONS, startEngineServer, upgradeRequest } from "../support/engine-server.ts";

/** A WebSocket client in another process that completes the upgrade and then never reads again. */
function spawnStalledClient(port: number) {
  const request = upgradeRequest(port, "/engine.io/?EIO=4&transport=websocket");
  const script = [
    "import socket, sys, time",
    `s = socket.create_connection(("127.0.0.1", ${port}))`,
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)",
    `s.sendall(${JSON.stringify(request)}.encode())`,
    "time.sleep(20)",
  ].join("\n");
  return Bun.spawn(["python3", "-c", script], { stdout: "ignore", stderr: "ignore" });
}

describe("backpressure", () => {
  // The stalled peer is a python3 process (a Bun socket always reads); every CI machine here has it.
  test.skipIf(!Bun.which("python3"))("a WebSocket peer that stops reading is marked unwritable, then closed; the server stays bounded", async () => {
    const limit = 256 * 1024;
    let session: EngineSession | undefined;
    await using s = await startEngineServer({ ...QUIET_OPTIONS, backpressureLimit: limit }, (connected) => {
      session = connected;
    });
    const client = spawnStalledClient(s.port);
    try {
      const stalled = await s.waitFor(() => session, 5000, "stalled session");
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      let sawUnwritable = false;
      // Write until the session ends; a server without a bound would keep accepting forever.
      while (!stalled.closed && sent < 64 * 1024 * 1024) {
        stalled.send(chunk);
        sent += chunk.length;
        if (!stalled.writable) sawUnwritable = true;
        // An event-loop turn per MiB lets Bun flush to the socket and report backpressure.
        if (sent % (1024 * 1024) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(stalled.closed).toBe(true);
      expect(sawUnwritable).toBe(true);
      // Kernel buffers take some megabytes; everything past them and the limit was refused.
      expect(sent).toBeLessThan(32 * 1024 * 1024);
      const closed = await s.closeOf(stalled.id, 2000);
      expect(["transport error", "transport close"]).toContain(closed.reason);
      expect(s.engine.clientsCount).toBe(0);
    } finally {
      client.kill();
    }
  });

  test("a polling client that stops polling is closed once its queue passes the limit", async () => {
    const limit = 64 * 1024;
    let session: EngineSession | undefined;
    await using s = await startEngineServer({ ...QUIET_OPTIONS, backpressureLimit: limit }, (connected) => {
      session = connected;
    });
    const { sid } = await s.handshake();
    const stalled = await s.waitFor(() => session, 2000, "polling session");
    const chunk = "y".repeat(8 * 1024);
    let sent = 0;
    while (!stalled.closed && sent < 10 * limit) {
      stalled.send(chunk);
      sent += chunk.length;
    }
    expect(stalled.closed).toBe(true);
    expect(sent).toBeLessThanOrEqual(limit + chunk.length);
    expect((await s.closeOf(sid)).reason).toBe("transport error");
  });

  test("the polling queue counts UTF-8 bytes: non-ASCII text reaches the limit three times sooner than its length says", async () => {
    const limit = 10_000;
    await using s = await startEngineServer({ ...QUIET_OPTIONS, backpressureLimit: limit });
    const ascii = await s.handshake();
    const euro = await s.handshake();
    const asciiSession = await s.session(ascii.sid);
    const euroSession = await s.session(euro.sid);
    // 1000 characters each: 1000 bytes in ASCII, 3000 bytes of UTF-8 for "€".
    for (let i = 0; i < 4; i++) asciiSession.send("a".repeat(1000));
    for (let i = 0; i < 4; i++) euroSession.send("€".repeat(1000));
    expect(asciiSession.closed).toBe(false);
    expect(euroSession.closed).toBe(true);
    expect((await s.closeOf(euro.sid)).reason).toBe("transport error");
    // What waited is still delivered to the client that stayed under the limit.
    const poll = await s.get(ascii.sid);
    expect(poll.body.split("\x1e")).toEqual(Array.from({ length: 4 }, () => `4${"a".repeat(1000)}`));
  });

  test("a POST body is measured in UTF-8 bytes too: 400 000 '€' (1.2 MB, 400 001 characters) is over maxHttpBufferSize 1e6", async () => {
    await using s = await startEngineServer({ ...QUIET_OPTIONS, maxHttpBufferSize: 1e6 });
    const { sid } = await s.handshake();
    expect((await s.post(sid, `4${"€".repeat(400_000)}`)).status).toBe(413);
    // Under the limit in bytes: accepted and echoed.
    expect((await s.post(sid, `4${"€".repeat(300_000)}`)).body).toBe("ok");
    expect((await s.get(sid)).body).toBe(`4${"€".repeat(300_000)}`);
  });
});

