// Typed events as in socket.io: `Server<ClientToServer, ServerToClient, InterServer, SocketData>`.
// The type check (bun run typecheck) is half of this test: the @ts-expect-error lines must stay errors.
import { describe, expect, test } from "bun:test";
import { io as connect } from "socket.io-client";
import { Server, type Socket } from "../../src/socketio/index.ts";
import { withTimeout } from "../support/engine-server.ts";

type ClientToServer = {
  hello: (name: string, ack: (greeting: string) => void) => void;
  count: (n: number) => void;
};
type ServerToClient = {
  greeted: (who: string, at: number) => void;
};
type InterServer = { ping: () => void; load: (percent: number) => void };
type SocketData = { name?: string };

/** Never called: only the type checker reads it, and each marked line must stay a type error. */
function misuse(socket: Socket<ClientToServer, ServerToClient, InterServer, SocketData>): void {
  // @ts-expect-error: "greeted" takes (string, number)
  socket.emit("greeted", 42);
  // @ts-expect-error: not a server-to-client event
  socket.emit("unknown", 1);
  // @ts-expect-error: "count" gives a number, not a string
  socket.on("count", (n: string) => n);
  // Server-side events (serverSideEmit from other nodes) are typed by InterServer.
  socket.nsp.on("load", (percent: number) => percent);
  // @ts-expect-error: "load" gives a number, not a string
  socket.nsp.on("load", (percent: string) => percent);
  // @ts-expect-error: not an inter-server event
  socket.nsp.serverSideEmit("unknown");
  // @ts-expect-error: "load" takes a number
  socket.nsp.server.serverSideEmit("load", "high");
}

describe("typed events", () => {
  test("misuse is a type error (checked by bun run typecheck)", () => {
    expect(typeof misuse).toBe("function");
  });

  test("typed handlers, emits and socket.data work end to end", async () => {
    const io = new Server<ClientToServer, ServerToClient, InterServer, SocketData>({ serveClient: false });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...io.handler() });
    const counts: number[] = [];
    let counted: () => void = () => {};
    const countArrived = new Promise<void>((resolve) => {
      counted = resolve;
    });
    io.on("connection", (socket: Socket<ClientToServer, ServerToClient, InterServer, SocketData>) => {
      socket.on("hello", (name, ack) => {
        socket.data.name = name;
        ack(`hi ${name}`);
        io.emit("greeted", name, 1);
      });
      socket.on("count", (n) => {
        counts.push(n + 1);
        counted();
      });
      io.serverSideEmit("ping");
    });
    const client = connect(`http://127.0.0.1:${server.port}`, { transports: ["websocket"] });
    try {
      const greeted = new Promise<[string, number]>((resolve) => client.on("greeted", (who: string, at: number) => resolve([who, at])));
      const greeting = await client.emitWithAck("hello", "ada");
      client.emit("count", 41);
      expect(greeting).toBe("hi ada");
      expect(await greeted).toEqual(["ada", 1]);
      const [remote] = await io.fetchSockets();
      expect(remote?.data.name).toBe("ada");
      await withTimeout(countArrived, 2000, "the count event");
      expect(counts).toEqual([42]);
    } finally {
      client.close();
      await io.close();
      await server.stop(true);
    }
  });
});
