// One Server behind several Bun.serve instances (IPv4 + IPv6, two ports, or a restart after stop):
// Bun topics are per server, so io.emit, io.to(room).emit and socket.broadcast must publish
// through every server that has WebSocket clients, and stop using one once it is stopped.
import { describe, expect, test } from "bun:test";
import { io as ioc } from "socket.io-client";
import { Server, type Socket as ServerSocket } from "../../src/socketio/index.ts";
import { CLIENT_DEFAULTS, connected, waitFor, type ClientOptions, type ClientSocket } from "../support/sio-client.ts";

type Bunch = {
  io: Server;
  serve(): ReturnType<typeof Bun.serve>;
  /** A connected client of `server` and its server-side socket. */
  client(server: ReturnType<typeof Bun.serve>, options?: ClientOptions): Promise<{ client: ClientSocket; socket: ServerSocket }>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** One Server; every serve() is another Bun.serve of the same io.handler(). */
function bunch(): Bunch {
  const io = new Server({ pingInterval: 10_000, pingTimeout: 5_000 });
  io.on("connection", (socket) => socket.join("room"));
  const handler = io.handler();
  const servers: ReturnType<typeof Bun.serve>[] = [];
  const clients: ClientSocket[] = [];
  return {
    io,
    serve() {
      const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...handler });
      servers.push(server);
      return server;
    },
    async client(server, options = { transports: ["websocket"] }) {
      const arrived = waitFor<[ServerSocket]>(io, "connection");
      const client = ioc(`http://127.0.0.1:${server.port}`, { ...CLIENT_DEFAULTS, ...options });
      clients.push(client);
      await connected(client);
      const [socket] = await arrived;
      return { client, socket };
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) {
        client.io.reconnection(false);
        client.disconnect();
      }
      await io.close();
      for (const server of servers) await server.stop(true);
    },
  };
}

describe("several Bun servers for one Server", () => {
  test("io.emit, io.to(room).emit and socket.broadcast reach WebSocket clients of both servers", async () => {
    await using b = bunch();
    const first = b.serve();
    const second = b.serve();
    const a = await b.client(first);
    const c = await b.client(second);
    const p = await b.client(second, { transports: ["polling"] });

    const everyone = [waitFor(a.client, "all"), waitFor(c.client, "all"), waitFor(p.client, "all")];
    b.io.emit("all", 1);
    expect(await Promise.all(everyone)).toEqual([[1], [1], [1]]);

    const room = [waitFor(a.client, "room"), waitFor(c.client, "room"), waitFor(p.client, "room")];
    b.io.to("room").emit("room", 2);
    expect(await Promise.all(room)).toEqual([[2], [2], [2]]);

    // From a client of the second server: the first server's client must hear it too, the sender not.
    const fromSecond = [waitFor(a.client, "from-c"), waitFor(p.client, "from-c")];
    const senderHeard: unknown[] = [];
    c.client.on("from-c", (...args: unknown[]) => void senderHeard.push(args));
    c.socket.broadcast.emit("from-c", 3);
    expect(await Promise.all(fromSecond)).toEqual([[3], [3]]);
    const roomFromFirst = [waitFor(c.client, "from-a"), waitFor(p.client, "from-a")];
    a.socket.to("room").emit("from-a", 4);
    expect(await Promise.all(roomFromFirst)).toEqual([[4], [4]]);
    // A later emit to everyone is the sentinel: the sender's own copy would have come before it.
    const sentinel = waitFor(c.client, "sentinel");
    b.io.emit("sentinel");
    await sentinel;
    expect(senderHeard).toEqual([]);
  });

  test("a server stopped and a new one started: broadcasts reach the new server's clients", async () => {
    await using b = bunch();
    const first = b.serve();
    const old = await b.client(first);
    const gone = waitFor(old.socket, "disconnect");
    old.client.io.reconnection(false);
    await first.stop(true);
    await gone;

    const second = b.serve();
    const fresh = await b.client(second);
    const heard = waitFor(fresh.client, "all");
    b.io.emit("all", "after restart");
    expect(await heard).toEqual(["after restart"]);
    const inRoom = waitFor(fresh.client, "room");
    b.io.to("room").emit("room", "after restart");
    expect(await inRoom).toEqual(["after restart"]);
  });
});
