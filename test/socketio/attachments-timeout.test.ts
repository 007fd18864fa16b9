// A binary packet whose attachments never arrive does not hold the session forever: after
// attachmentTimeout the session is closed (parse error); a complete one in time is delivered.
import { describe, expect, test } from "bun:test";
import { Server } from "../../src/socketio/index.ts";
import { WsClient } from "../support/engine-server.ts";

async function start(attachmentTimeout: number) {
  const io = new Server({ serveClient: false, attachmentTimeout, pingInterval: 10_000 });
  const reasons: string[] = [];
  const received: unknown[][] = [];
  io.on("connection", (socket) => {
    socket.on("disconnect", (reason) => reasons.push(reason));
    socket.on("bin", (...args: unknown[]) => received.push(args));
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
  const ws = new WsClient(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  expect(await ws.opened).toBe(true);
  expect(String(await ws.next())).toStartWith("0{");
  ws.send("40");
  expect(String(await ws.next())).toStartWith("40{");
  return {
    ws,
    reasons,
    received,
    async [Symbol.asyncDispose]() {
      ws.close();
      await io.close();
      await server.stop(true);
    },
  };
}

describe("attachmentTimeout", () => {
  test("a header whose attachment never comes closes the session", async () => {
    await using s = await start(100);
    s.ws.send('451-["bin",{"_placeholder":true,"num":0}]');
    await s.ws.waitClosed(2000);
    expect(s.reasons).toEqual(["parse error"]);
  });

  test("attachments arriving in time complete the packet", async () => {
    await using s = await start(1000);
    s.ws.send('451-["bin",{"_placeholder":true,"num":0}]');
    await Bun.sleep(50);
    s.ws.send(new Uint8Array([1, 2, 3]));
    for (let i = 0; i < 50 && s.received.length === 0; i++) await Bun.sleep(10);
    expect(s.received).toHaveLength(1);
    expect([...(s.received[0]?.[0] as Uint8Array)]).toEqual([1, 2, 3]);
    await Bun.sleep(1100);
    expect(s.reasons).toEqual([]);
  });
});
