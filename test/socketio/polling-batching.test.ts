// What a long-polling client pays per packet: packets a handler or broadcasts produce in one tick
// reach a held GET together, so the client does not need one more GET for each of them.
import { describe, expect, test } from "bun:test";
import type { Server } from "../../src/socketio/index.ts";
import { withTimeout } from "../support/engine-server.ts";
import { decodePollingPayload, parseConnectReply, QUIET_SIO_OPTIONS, type StartedSio, startSioServer } from "../support/sio-server.ts";

/** A handler that answers with an ack and, in the same tick, an event to the sender and one to its room. */
function fixture(io: Server): void {
  io.on("connection", (socket) => {
    void socket.join("r");
    socket.on("send", (text: unknown, ack: unknown) => {
      if (typeof ack === "function") ack("stored");
      socket.emit("echo", text);
      io.to("r").emit("room", text);
    });
  });
}

async function connectedPolling(s: StartedSio): Promise<string> {
  const polling = await s.openPolling();
  await polling.post("40");
  parseConnectReply(await polling.next());
  return polling.sid;
}

describe("long-polling: packets of one tick share one GET", () => {
  test("an ack and two events from one handler arrive in the GET that was held", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS, fixture);
    const sid = await connectedPolling(s);
    const { response: held } = await s.heldGet(sid);
    expect((await s.post(sid, '421["send","hi"]')).body).toBe("ok");
    const answer = await withTimeout(held, 1000, "held GET");
    expect(decodePollingPayload(answer.body)).toEqual(['431["stored"]', '42["echo","hi"]', '42["room","hi"]']);
  });

  test("a broadcast emitted in a later tick waits for the next GET", async () => {
    await using s = await startSioServer(QUIET_SIO_OPTIONS, fixture);
    const sid = await connectedPolling(s);
    const { response: held } = await s.heldGet(sid);
    s.io.to("r").emit("room", "first");
    expect((await withTimeout(held, 1000, "held GET")).body).toBe('42["room","first"]');
    // The first answer is on its way: this one needs (and gets) the next request.
    s.io.to("r").emit("room", "second");
    expect((await withTimeout(s.get(sid), 1000, "next GET")).body).toBe('42["room","second"]');
  });
});
