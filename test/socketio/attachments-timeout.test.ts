// A binary packet whose attachments never arrive does not hold the session forever: after
// attachmentTimeout the session is closed (parse error); a complete one in time is delivered.
import { describe, expect, test } from "bun:test";
import { Server } from "../../src/socketio/index.ts";
import { WsClient } from "../support/engine-server.ts";
import { until, waitFor } from "../support/sio-client.ts";

async function start(attachmentTimeout: number) {
  const io = new Server({ serveClient: false, attachmentTimeout, pingInterval: 10_000 });
  const reasons: string[] = [];
  const received: unknown[][] = [];
  io.on("connection", (socket) => {
    socket.on("disconnect", (reason) => reasons.push(reason));
    socket.on("bin", (...args: unknown[]) => received.push(args));
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
  const clients: WsClient[] = [];
  /** A raw client connected to "/". */
  const connect = async (): Promise<WsClient> => {
    const ws = new WsClient(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
    clients.push(ws);
    expect(await ws.opened).toBe(true);
    expect(String(await ws.next())).toStartWith("0{");
    ws.send("40");
    expect(String(await ws.next())).toStartWith("40{");
    return ws;
  };
  const ws = await connect();
  return {
    io,
    ws,
    reasons,
    received,
    connect,
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.close();
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

  test("attachments arriving in time complete the packet, and the timer does not fire later", async () => {
    await using s = await start(300);
    const socket = s.io.of("/").sockets.values().next().value;
    if (!socket) throw new Error("no server socket");
    const delivered = waitFor<unknown[]>(socket, "bin");
    s.ws.send('451-["bin",{"_placeholder":true,"num":0}]');
    s.ws.send(new Uint8Array([1, 2, 3]));
    const [bytes] = await delivered;
    expect([...(bytes as Uint8Array)]).toEqual([1, 2, 3]);
    expect(s.received).toHaveLength(1);
    // Sentinel for "no late timeout": a second client whose attachment never comes, started after
    // the first packet completed, is closed by its own timer; a timer left running for the first
    // packet would have fired before it.
    const sentinel = await s.connect();
    sentinel.send('451-["bin",{"_placeholder":true,"num":0}]');
    await sentinel.waitClosed(2000);
    await until(() => (s.reasons.length > 0 ? true : undefined), 1000, "the sentinel's disconnect");
    expect(s.reasons).toEqual(["parse error"]);
    expect(s.ws.isClosed).toBe(false);
  });
});
