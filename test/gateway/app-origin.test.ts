// The app's Socket.IO endpoint takes WebSockets only from FRONTEND_URL's origins and its own (the
// CORS allow-list turns the engine's origin check on); clients without an Origin are unaffected.
import { describe, expect, test } from "bun:test";
import { rawRequest, upgradeRequest } from "../support/engine-server.ts";
import { startTestServer } from "../support/server.ts";

describe("cross-site WebSocket hijacking", () => {
  test("a WebSocket from another site is refused with 403; FRONTEND_URL, the server's own origin and no Origin get 101", async () => {
    await using server = await startTestServer({ FRONTEND_URL: "http://front.example" });
    const attempt = (headers: string) =>
      rawRequest(server.port, upgradeRequest(server.port, "/socket.io/?EIO=4&transport=websocket", headers), 1000);
    expect((await attempt("Origin: http://evil.example\r\n")).status).toBe(403);
    expect((await attempt("Origin: http://front.example\r\n")).status).toBe(101);
    expect((await attempt(`Origin: http://127.0.0.1:${server.port}\r\n`)).status).toBe(101);
    expect((await attempt("")).status).toBe(101);
  });
});
