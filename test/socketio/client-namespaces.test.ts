// Namespaces with the real socket.io-client: static ones, several on one connection, unknown
// ones, dynamic families (RegExp and function) with the parent's handlers and middlewares, the
// parent's broadcasts, and cleanupEmptyChildNamespaces.
import { describe, expect, test } from "bun:test";
import type { ExtendedError, Namespace, Socket as ServerSocket } from "../../src/socketio/index.ts";
import {
  FAST_HEARTBEAT,
  reconnectionControl,
  record,
  roundTrip,
  sentinelFrom,
  startSio,
  until,
  waitFor,
  withTimeout,
  type ClientSocket,
} from "../support/sio-client.ts";

type Ack = (...args: unknown[]) => void;
type ConnectError = Error & { data?: unknown };

describe("static namespaces", () => {
  test("a client of /admin reaches /admin's handlers only; io.of('admin') is the same namespace; no implicit /", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const admin = h.io.of("/admin");
    expect(h.io.of("admin")).toBe(admin);
    const mainEvents = record(h.io, "connection");
    const connection = waitFor<[ServerSocket]>(admin, "connection");
    const client = await h.connect("/admin");
    const [socket] = await connection;
    expect(socket.nsp).toBe(admin);
    expect(socket.nsp.name).toBe("/admin");
    expect(socket.id).toBe(client.id ?? "");
    expect(admin.sockets.get(socket.id)).toBe(socket);
    // Socket.IO v5: connecting /admin does not connect / as well.
    expect(h.io.of("/").sockets.size).toBe(0);
    expect(mainEvents).toEqual([]);
    socket.on("who", (ack: Ack) => ack(socket.nsp.name));
    expect(await withTimeout(client.emitWithAck("who"), 1000, "ack")).toBe("/admin");
  });

  test("multiplexing: / and /admin share one engine connection, with separate sockets and events", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const admin = h.io.of("/admin");
    const mainConnection = waitFor<[ServerSocket]>(h.io, "connection");
    const adminConnection = waitFor<[ServerSocket]>(admin, "connection");
    const main = await h.connect("/");
    const adminClient = await h.multiplex(main, "/admin");
    const [mainSocket] = await mainConnection;
    const [adminSocket] = await adminConnection;
    expect(adminClient.io).toBe(main.io);
    expect(adminClient.io.engine).toBe(main.io.engine);
    expect(mainSocket.conn).toBe(adminSocket.conn);
    expect(h.io.engine.clientsCount).toBe(1);
    expect(mainSocket.id).not.toBe(adminSocket.id);

    const mainGot = record(mainSocket, "ev");
    const adminGot = waitFor<unknown[]>(adminSocket, "ev");
    adminClient.emit("ev", "to admin");
    expect(await adminGot).toEqual(["to admin"]);
    const atMainClient = record(main, "down");
    const atAdminClient = waitFor<unknown[]>(adminClient, "down");
    adminSocket.emit("down", "from admin");
    expect(await atAdminClient).toEqual(["from admin"]);
    // Sentinel: both namespaces share one ordered connection, so a round trip on "/" comes after
    // any cross-delivery in either direction.
    await roundTrip(main, mainSocket);
    expect(mainGot).toEqual([]);
    expect(atMainClient).toEqual([]);

    // Leaving one namespace keeps the other on the same connection.
    const adminGone = waitFor<[string]>(adminSocket, "disconnect");
    adminClient.disconnect();
    expect((await adminGone)[0]).toBe("client namespace disconnect");
    expect(mainSocket.connected).toBe(true);
    expect(mainSocket.conn.closed).toBe(false);
    mainSocket.on("still", (ack: Ack) => ack("here"));
    expect(await withTimeout(main.emitWithAck("still"), 1000, "ack on /")).toBe("here");
  });

  test("unknown namespace: connect_error 'Invalid namespace', no retry, the connection's other namespace keeps working", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.on("connection", (socket) => socket.on("ping-me", (ack: Ack) => ack("pong")));
    const main = await h.connect("/");
    const serverMain = h.io.of("/").sockets.get(main.id ?? "");
    const attempts = record(main.io, "reconnect_attempt");
    const unknown = main.io.socket("/nope");
    const [error] = await waitFor<[ConnectError]>(unknown, "connect_error");
    expect(error.message).toBe("Invalid namespace");
    expect(unknown.connected).toBe(false);
    expect(unknown.active).toBe(false);
    const retries = record(unknown, "connect_error");
    // Sentinel: a control client dropped now reconnects; a retry of "/nope" would have come first.
    await reconnectionControl(h);
    expect(retries).toEqual([]);
    expect(attempts).toEqual([]);
    expect(serverMain?.conn.closed).toBe(false);
    expect(await withTimeout(main.emitWithAck("ping-me"), 1000, "ack on /")).toBe("pong");
    unknown.disconnect();
  });

  test("unknown namespace on a connection of its own", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const client = h.client("/does-not-exist");
    const [error] = await waitFor<[ConnectError]>(client, "connect_error");
    expect(error.message).toBe("Invalid namespace");
    expect(error.data).toBeUndefined();
  });

  test("io.use applies to / only; a namespace's use() to that namespace only, with err.data", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.use((_socket, next) => next(new Error("main refused")));
    const admin = h.io.of("/admin");
    admin.use((socket, next) => {
      if (socket.handshake.auth.admin === true) {
        next();
        return;
      }
      const error: ExtendedError = new Error("admins only");
      error.data = { required: "admin" };
      next(error);
    });
    const main = h.client("/", { reconnection: false });
    const [mainError] = await waitFor<[ConnectError]>(main, "connect_error");
    expect(mainError.message).toBe("main refused");

    const refused = h.client("/admin", { reconnection: false });
    const [adminError] = await waitFor<[ConnectError]>(refused, "connect_error");
    expect(adminError.message).toBe("admins only");
    expect(adminError.data).toEqual({ required: "admin" });

    const allowed = await h.connect("/admin", { auth: { admin: true } });
    expect(allowed.connected).toBe(true);
  });
});

describe("dynamic namespaces", () => {
  test("RegExp: matching names connect through the parent's connection handler; others are invalid", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const parent = h.io.of(/^\/dyn-\d+$/);
    const seen: ServerSocket[] = [];
    parent.on("connection", (socket) => {
      seen.push(socket);
      socket.on("where", (ack: Ack) => ack(socket.nsp.name));
    });
    const one = await h.connect("/dyn-1");
    const two = await h.connect("/dyn-22");
    expect(seen.map((s) => s.nsp.name)).toEqual(["/dyn-1", "/dyn-22"]);
    expect(seen[0]?.nsp).not.toBe(parent);
    expect(await withTimeout(one.emitWithAck("where"), 1000, "ack")).toBe("/dyn-1");
    expect(await withTimeout(two.emitWithAck("where"), 1000, "ack")).toBe("/dyn-22");
    const invalid = h.client("/dyn-x");
    const [error] = await waitFor<[ConnectError]>(invalid, "connect_error");
    expect(error.message).toBe("Invalid namespace");
  });

  test("io.of(regex, onConnection) registers the connection handler", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const names: string[] = [];
    h.io.of(/^\/short-\w+$/, (socket) => names.push(socket.nsp.name));
    await h.connect("/short-a");
    expect(names).toEqual(["/short-a"]);
  });

  test("function: gets the name and auth, next(null, true) accepts, false or an error refuses", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const asked: { name: string; auth: unknown }[] = [];
    const parent = h.io.of((name, auth, next) => {
      asked.push({ name, auth });
      if (name === "/fn-error") {
        next(new Error("matcher failed"), false);
        return;
      }
      // Asynchronous decisions (in a later event-loop turn) are allowed.
      setImmediate(() => next(null, name.startsWith("/fn-") && auth.token === "ok"));
    });
    const connections = record(parent, "connection");
    const accepted = await h.connect("/fn-room", { auth: { token: "ok" } });
    expect(accepted.connected).toBe(true);
    expect(connections).toHaveLength(1);
    expect(asked[0]).toEqual({ name: "/fn-room", auth: { token: "ok" } });

    for (const [nsp, token] of [
      ["/fn-other", "bad"],
      ["/not-fn", "ok"],
      ["/fn-error", "ok"],
    ] as const) {
      const refused = h.client(nsp, { auth: { token } });
      const [error] = await waitFor<[ConnectError]>(refused, "connect_error");
      expect(error.message).toBe("Invalid namespace");
    }
    expect(connections).toHaveLength(1);
  });

  test("two clients racing into the same new child end up in one namespace", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    // The matcher answers only once both clients asked: both CONNECTs are pending together.
    const waiting: (() => void)[] = [];
    const parent = h.io.of((_name, _auth, next) => {
      waiting.push(() => next(null, true));
      if (waiting.length === 2) for (const answer of waiting.splice(0)) answer();
    });
    const sockets: ServerSocket[] = [];
    parent.on("connection", (socket) => sockets.push(socket));
    const [a, b] = await Promise.all([h.connect("/race"), h.connect("/race")]);
    expect(sockets).toHaveLength(2);
    expect(sockets[0]?.nsp).toBe(sockets[1]?.nsp as Namespace);
    expect(sockets[0]?.nsp.sockets.size).toBe(2);
    const gotA = waitFor(a, "both");
    const gotB = waitFor(b, "both");
    sockets[0]?.nsp.emit("both");
    await Promise.all([gotA, gotB]);
  });

  test("the parent's middlewares apply to its children", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const parent = h.io.of(/^\/team-\w+$/);
    parent.use((socket, next) => {
      if (socket.handshake.auth.member !== true) {
        const error: ExtendedError = new Error("members only");
        error.data = { nsp: socket.nsp.name };
        next(error);
        return;
      }
      socket.data = { checkedBy: "parent middleware", nsp: socket.nsp.name };
      next();
    });
    const connection = waitFor<[ServerSocket]>(parent, "connection");
    await h.connect("/team-red", { auth: { member: true } });
    const [socket] = await connection;
    expect(socket.data).toEqual({ checkedBy: "parent middleware", nsp: "/team-red" });

    const refused = h.client("/team-blue", { reconnection: false });
    const [error] = await waitFor<[ConnectError]>(refused, "connect_error");
    expect(error.message).toBe("members only");
    expect(error.data).toEqual({ nsp: "/team-blue" });
  });

  test("the parent's emit reaches every child and nothing else", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const parent = h.io.of(/^\/chan-\d$/);
    const c1 = await h.connect("/chan-1");
    const c2 = await h.connect("/chan-2");
    const outside = await h.connect("/");
    const got1 = waitFor<unknown[]>(c1, "news");
    const got2 = waitFor<unknown[]>(c2, "news");
    const outsideGot = record(outside, "news");
    parent.emit("news", { to: "all children" });
    expect(await got1).toEqual([{ to: "all children" }]);
    expect(await got2).toEqual([{ to: "all children" }]);
    await sentinelFrom(h.io, outside); // the news, had it reached "/", would have come first
    expect(outsideGot).toEqual([]);
  });

  test("the parent's to(room).emit reaches the members of that room in every child (socket.io's ParentBroadcastAdapter)", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const parent = h.io.of(/^\/chan-\d$/);
    parent.on("connection", (socket) => {
      if (socket.handshake.auth.vip === true) socket.join("vip");
    });
    const vip1 = await h.connect("/chan-1", { auth: { vip: true } });
    const plain1 = await h.connect("/chan-1");
    const vip2 = await h.connect("/chan-2", { auth: { vip: true } });
    const plainGot = record(plain1, "vip-news");
    const got1 = waitFor(vip1, "vip-news");
    const got2 = waitFor(vip2, "vip-news");
    parent.to("vip").emit("vip-news");
    await withTimeout(Promise.all([got1, got2]), 1000, "vip-news in both children");
    await sentinelFrom(parent, plain1); // the parent's emit to every child reaches plain1 after any vip-news
    expect(plainGot).toEqual([]);
  });

  test("a static namespace wins over a dynamic family that also matches", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const fixed = h.io.of("/dyn-7");
    const parent = h.io.of(/^\/dyn-\d+$/);
    const parentConnections = record(parent, "connection");
    const connection = waitFor<[ServerSocket]>(fixed, "connection");
    await h.connect("/dyn-7");
    const [socket] = await connection;
    expect(socket.nsp).toBe(fixed);
    expect(parentConnections).toEqual([]);
  });
});

describe("cleanupEmptyChildNamespaces", () => {
  // There is no public list of namespaces (socket.io's io._nsps is private here too); what a user
  // can observe is the Namespace object a socket lands in: a removed child is created anew.
  // Children copy the parent's connection listeners when they are created (as in socket.io), so
  // the recorder is installed on the parent before any child exists.
  function recordConnections(parent: Namespace): ServerSocket[] {
    const sockets: ServerSocket[] = [];
    parent.on("connection", (socket) => sockets.push(socket));
    return sockets;
  }

  async function connectChild(h: ReturnType<typeof startSio>, sockets: ServerSocket[], name: string): Promise<[ClientSocket, ServerSocket]> {
    const client = await h.connect(name);
    const socket = await until(() => sockets.find((s) => s.id === client.id), 1000, `server socket of ${name}`);
    return [client, socket];
  }

  test("on: the child is dropped after its last socket leaves; reconnecting creates a new one with the parent's handlers", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, cleanupEmptyChildNamespaces: true });
    const parent = h.io.of(/^\/tmp-\d+$/);
    let middlewareRuns = 0;
    parent.use((_socket, next) => {
      middlewareRuns++;
      next();
    });
    parent.on("connection", (socket) => socket.on("hello", (ack: Ack) => ack(`hi from ${socket.nsp.name}`)));
    const sockets = recordConnections(parent);
    const [first, firstSocket] = await connectChild(h, sockets, "/tmp-1");
    const [second, secondSocket] = await connectChild(h, sockets, "/tmp-1");
    const child = firstSocket.nsp;
    expect(secondSocket.nsp).toBe(child);

    // One socket left: the child stays.
    const firstGone = waitFor(firstSocket, "disconnect");
    first.disconnect();
    await firstGone;
    const [third, thirdSocket] = await connectChild(h, sockets, "/tmp-1");
    expect(thirdSocket.nsp).toBe(child);

    const gone = [waitFor(secondSocket, "disconnect"), waitFor(thirdSocket, "disconnect")];
    second.disconnect();
    third.disconnect();
    await Promise.all(gone);
    expect(child.sockets.size).toBe(0);

    const [again, againSocket] = await connectChild(h, sockets, "/tmp-1");
    expect(againSocket.nsp).not.toBe(child);
    expect(againSocket.nsp.name).toBe("/tmp-1");
    expect(await withTimeout(again.emitWithAck("hello"), 1000, "ack")).toBe("hi from /tmp-1");
    expect(middlewareRuns).toBe(4);
    // The parent still broadcasts to the new child.
    const news = waitFor(again, "news");
    parent.emit("news");
    await news;
  });

  test("off (default): the empty child is kept and reused", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const parent = h.io.of(/^\/keep-\d+$/);
    const sockets = recordConnections(parent);
    const [client, socket] = await connectChild(h, sockets, "/keep-1");
    const child = socket.nsp;
    const gone = waitFor(socket, "disconnect");
    client.disconnect();
    await gone;
    const [, againSocket] = await connectChild(h, sockets, "/keep-1");
    expect(againSocket.nsp).toBe(child);
  });

  test("on: static namespaces are never dropped", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, cleanupEmptyChildNamespaces: true });
    const fixed = h.io.of("/fixed");
    const connections = record(fixed, "connection");
    const client = await h.connect("/fixed");
    const socket = fixed.sockets.get(client.id ?? "");
    const gone = waitFor(socket ?? fixed, "disconnect");
    client.disconnect();
    await gone;
    expect(h.io.of("/fixed")).toBe(fixed);
    const again = await h.connect("/fixed");
    expect(fixed.sockets.has(again.id ?? "")).toBe(true);
    await until(() => (connections.length === 2 ? true : undefined), 1000, "second connection");
  });
});
