// The Socket.IO Server passes the WebSocket origin check to its engine: with a CORS allow-list a
// page on another site cannot open a WebSocket (403), while clients that send no Origin, like the
// Node socket.io-client, connect as before; checkWebSocketOrigin: false turns it off.
import { describe, expect, test } from "bun:test";
import { errorBody, rawRequest, upgradeRequest } from "../support/engine-server.ts";
import { startSio } from "../support/sio-client.ts";

const APP = "http://app.example";

function upgrade(port: number, origin: string) {
  return rawRequest(port, upgradeRequest(port, "/socket.io/?EIO=4&transport=websocket", `Origin: ${origin}\r\n`), 1000);
}

describe("WebSocket origins on a Server with a CORS allow-list", () => {
  test("a foreign Origin gets 403; the allowed one 101; the Node client (no Origin) connects over WebSocket", async () => {
    await using h = startSio({ cors: { origin: [APP], credentials: true } });
    const refused = await upgrade(h.port, "http://evil.example");
    expect(refused.status).toBe(403);
    expect(refused.body).toBe(errorBody(4, "Forbidden"));
    expect((await upgrade(h.port, APP)).status).toBe(101);
    const client = await h.connect("/", { transports: ["websocket"] });
    expect(client.connected).toBe(true);
  });

  test("checkWebSocketOrigin: false lets any origin open a WebSocket, as socket.io does", async () => {
    await using h = startSio({ cors: { origin: [APP] }, checkWebSocketOrigin: false });
    expect((await upgrade(h.port, "http://evil.example")).status).toBe(101);
  });
});
