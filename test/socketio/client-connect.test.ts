// The real socket.io-client against our Server: connecting with auth, middleware refusals with
// err.data (no auto-reconnect, manual connect after fixing the token), automatic reconnection
// after the server drops the transport, each transport setup including the upgrade, and serving
// the client bundle (plus the fallback fetch for other paths).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExtendedError, Socket as ServerSocket } from "../../src/socketio/index.ts";
import { rawRequest } from "../support/engine-server.ts";
import {
  connected,
  FAST_HEARTBEAT,
  reconnectionControl,
  record,
  startSio,
  waitFor,
  type ClientSocket,
} from "../support/sio-client.ts";

type ConnectError = Error & { data?: unknown };

function serverSocketOf(h: { io: { of(name: string): { sockets: ReadonlyMap<string, ServerSocket> } } }, client: ClientSocket, nsp = "/"): ServerSocket {
  const id = client.id;
  if (id === undefined) throw new Error("client has no id (not connected)");
  const socket = h.io.of(nsp).sockets.get(id);
  if (!socket) throw new Error(`no server socket ${id} in ${nsp}`);
  return socket;
}

/** Client emits "echo" with an ack; the server answers with what it got. */
async function echoRoundTrip(client: ClientSocket, payload: unknown): Promise<unknown> {
  return client.timeout(1000).emitWithAck("echo", payload);
}

function installEcho(io: { on(event: "connection", listener: (socket: ServerSocket) => void): unknown }): void {
  io.on("connection", (socket) => {
    socket.on("echo", (value: unknown, ack: (response: unknown) => void) => ack(value));
  });
}

describe("connect and auth", () => {
  test("handshake.auth, query and ids as the server sees them", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const client = await h.connect("/", { auth: { token: "abc", n: 1 }, query: { room: "lobby" } });
    const [socket] = await connection;
    expect(socket.handshake.auth).toEqual({ token: "abc", n: 1 });
    expect(socket.handshake.query.room).toBe("lobby");
    expect(socket.handshake.query.EIO).toBe("4");
    expect(socket.handshake.address).toBe("127.0.0.1");
    expect(socket.handshake.secure).toBe(false);
    expect(typeof socket.handshake.issued).toBe("number");
    expect(socket.handshake.url.startsWith("/socket.io/")).toBe(true);
    expect(client.connected).toBe(true);
    expect(socket.connected).toBe(true);
    expect(socket.id).toBe(client.id ?? "");
    // The socket id is never the engine session id (that one is a transport credential).
    expect(client.io.engine.id).toBe(socket.conn.id);
    expect(socket.id).not.toBe(socket.conn.id);
  });

  test("auth given as a function is called for the handshake", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    let calls = 0;
    await h.connect("/", {
      auth: (cb) => {
        calls++;
        cb({ token: "from-function" });
      },
    });
    const [socket] = await connection;
    expect(calls).toBe(1);
    expect(socket.handshake.auth).toEqual({ token: "from-function" });
  });

  test("a client without auth gets handshake.auth {}", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    await h.connect();
    const [socket] = await connection;
    expect(socket.handshake.auth).toEqual({});
  });
});

describe("middleware refusal", () => {
  test("connect_error carries err.message and err.data; no auto-reconnect; manual connect() with a fixed token succeeds", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const tokensSeen: unknown[] = [];
    h.io.use((socket, next) => {
      tokensSeen.push(socket.handshake.auth.token);
      if (socket.handshake.auth.token === "good") {
        next();
        return;
      }
      const error: ExtendedError = new Error("not authorized");
      error.data = { code: 401, hint: "refresh your token", nested: [1, "two"] };
      next(error);
    });
    const connections = record(h.io, "connection");
    const client = h.client("/", { auth: { token: "bad" } });
    const attempts = record(client.io, "reconnect_attempt");
    const [error] = await waitFor<[ConnectError]>(client, "connect_error");
    expect(error.message).toBe("not authorized");
    expect(error.data).toEqual({ code: 401, hint: "refresh your token", nested: [1, "two"] });
    expect(client.connected).toBe(false);
    // The client treats a middleware refusal as final (socket.active false) and does not retry.
    expect(client.active).toBe(false);
    const retries = record(client, "connect_error");
    const connects = record(client, "connect");
    // Sentinel: a control client dropped after this refusal reconnects; a retry of this one would
    // have come first. It uses a namespace of its own, out of reach of the refusing middleware.
    await reconnectionControl(h, "/control");
    expect(retries).toEqual([]);
    expect(connects).toEqual([]);
    expect(attempts).toHaveLength(0);
    expect(tokensSeen).toEqual(["bad"]);
    expect(connections).toHaveLength(0);

    client.auth = { token: "good" };
    client.connect();
    await connected(client);
    expect(tokensSeen).toEqual(["bad", "good"]);
    expect(connections).toHaveLength(1);
  });

  test("an error thrown by a middleware refuses the connection without taking the server down", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    let fail = true;
    h.io.use((_socket, next) => {
      if (fail) throw new Error("middleware exploded");
      next();
    });
    const client = h.client("/", { reconnection: false });
    const [error] = await waitFor<[ConnectError]>(client, "connect_error");
    expect(error.message).toBe("middleware exploded");
    fail = false;
    await h.connect();
  });

  for (const transport of ["polling", "websocket"] as const) {
    test(`an auth of 900 KB or nested too deep (${transport}): connect_error at once and no reconnection loop (a closed connection would loop)`, async () => {
      await using h = startSio(FAST_HEARTBEAT);
      const connections = record(h.io, "connection");
      let deep: unknown = 1;
      for (let i = 0; i < 70; i++) deep = [deep];
      for (const [auth, message] of [
        [{ blob: "x".repeat(900_000) }, "auth payload too large"],
        [{ deep }, "payload too deeply nested"],
      ] as const) {
        const client = h.client("/", { auth, transports: [transport] });
        const [error] = await waitFor<[ConnectError]>(client, "connect_error");
        expect(error.message).toBe(message);
        expect(client.connected).toBe(false);
        expect(client.active).toBe(false);
      }
      expect(connections).toHaveLength(0);
    });
  }

  test("an async middleware that resolves later lets the socket in", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    h.io.use(async (socket, next) => {
      await new Promise<void>((resolve) => setImmediate(resolve)); // answers in a later event-loop turn
      socket.data = { checkedAt: "middleware" };
      next();
    });
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    await h.connect();
    const [socket] = await connection;
    expect(socket.data).toEqual({ checkedAt: "middleware" });
  });
});

describe("reconnection", () => {
  test("the server dropping the transport (socket.conn.close()) makes the client reconnect with a new id, calling auth() again", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    const sockets: ServerSocket[] = [];
    h.io.on("connection", (socket) => sockets.push(socket));
    let calls = 0;
    const client = await h.connect("/", {
      auth: (cb) => {
        calls++;
        cb({ attempt: calls });
      },
    });
    const first = serverSocketOf(h, client);
    const firstId = client.id;
    const clientDisconnect = waitFor<[string]>(client, "disconnect");
    const serverDisconnect = waitFor<[string]>(first, "disconnect");
    const reconnected = waitFor<[number]>(client.io, "reconnect", 3000);
    const reconnect = waitFor(client, "connect", 3000);
    first.conn.close();
    expect((await clientDisconnect)[0]).toBe("transport close");
    expect((await serverDisconnect)[0]).toBe("forced close");
    expect((await reconnected)[0]).toBe(1);
    await reconnect;
    expect(client.connected).toBe(true);
    expect(client.id).toBeDefined();
    expect(client.id).not.toBe(firstId);
    // Without connectionStateRecovery the client leaves `recovered` unset (no pid): not true either way.
    expect(client.recovered === true).toBe(false);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]?.id).toBe(client.id ?? "");
    expect(sockets[1]?.handshake.auth).toEqual({ attempt: 2 });
    expect(calls).toBe(2);
    expect(h.io.of("/").sockets.has(firstId ?? "")).toBe(false);
  });

  test("events flow again after the automatic reconnection", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    installEcho(h.io);
    const client = await h.connect();
    const reconnect = waitFor(client.io, "reconnect", 3000);
    serverSocketOf(h, client).conn.close();
    await reconnect;
    expect(await echoRoundTrip(client, { again: true })).toEqual({ again: true });
  });
});

describe("transports", () => {
  test("polling only: stays on polling, events both ways", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    installEcho(h.io);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const client = await h.connect("/", { transports: ["polling"] });
    const [socket] = await connection;
    expect(client.io.engine.transport.name).toBe("polling");
    expect(socket.conn.transport).toBe("polling");
    expect(await echoRoundTrip(client, "over polling")).toBe("over polling");
    const hello = waitFor<[string]>(client, "hello");
    socket.emit("hello", "from server");
    expect((await hello)[0]).toBe("from server");
    // Past a heartbeat round: still polling, still connected.
    await waitFor(client.io, "ping", 1000);
    expect(client.io.engine.transport.name).toBe("polling");
    expect(client.connected).toBe(true);
  });

  test("websocket only: opens on websocket, events both ways", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    installEcho(h.io);
    const connection = waitFor<[ServerSocket]>(h.io, "connection");
    const client = await h.connect("/", { transports: ["websocket"] });
    const [socket] = await connection;
    expect(client.io.engine.transport.name).toBe("websocket");
    expect(socket.conn.transport).toBe("websocket");
    expect(await echoRoundTrip(client, "over websocket")).toBe("over websocket");
    const hello = waitFor<[string]>(client, "hello");
    socket.emit("hello", "from server");
    expect((await hello)[0]).toBe("from server");
  });

  test("default: opens on polling, upgrades to websocket, events emitted meanwhile arrive in order, events flow after", async () => {
    await using h = startSio(FAST_HEARTBEAT);
    installEcho(h.io);
    const received: number[] = [];
    h.io.on("connection", (socket) => socket.on("seq", (n: number) => received.push(n)));
    const client = h.client("/", { autoConnect: false });
    const opened = waitFor(client.io, "open");
    client.connect();
    await opened;
    expect(client.io.engine.transport.name).toBe("polling");
    const upgrade = waitFor<[{ name: string }]>(client.io.engine, "upgrade");
    await connected(client);
    for (let i = 0; i < 30; i++) client.emit("seq", i);
    const [transport] = await upgrade;
    expect(transport.name).toBe("websocket");
    expect(client.io.engine.transport.name).toBe("websocket");
    const socket = serverSocketOf(h, client);
    expect(await echoRoundTrip(client, "after upgrade")).toBe("after upgrade");
    expect(socket.conn.transport).toBe("websocket");
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const hello = waitFor<[string]>(client, "hello");
    socket.emit("hello", "after upgrade");
    expect((await hello)[0]).toBe("after upgrade");
  });

  test("server transports ['websocket']: a websocket client connects, a polling-first client cannot", async () => {
    await using h = startSio({ ...FAST_HEARTBEAT, transports: ["websocket"] });
    installEcho(h.io);
    const client = await h.connect("/", { transports: ["websocket"] });
    expect(client.io.engine.transport.name).toBe("websocket");
    expect(await echoRoundTrip(client, "ws server")).toBe("ws server");

    const pollingFirst = h.client("/", { reconnection: false });
    const [error] = await waitFor<[ConnectError]>(pollingFirst, "connect_error");
    expect(error.message).toBe("xhr poll error");
    expect(pollingFirst.connected).toBe(false);
  });
});

describe("serveClient", () => {
  const dist = join(import.meta.dir, "..", "..", "node_modules", "socket.io-client", "dist");
  const { version } = JSON.parse(readFileSync(join(dist, "..", "package.json"), "utf8")) as { version: string };

  test("GET /socket.io/socket.io.js: 200 javascript with an ETag; If-None-Match answers 304", async () => {
    await using h = startSio();
    const response = await fetch(`${h.origin}/socket.io/socket.io.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    const etag = response.headers.get("etag");
    expect(etag).toBe(`"${version}"`);
    expect(await response.text()).toBe(readFileSync(join(dist, "socket.io.js"), "utf8"));

    const cached = await fetch(`${h.origin}/socket.io/socket.io.js`, { headers: { "if-none-match": etag ?? "" } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");

    const stale = await fetch(`${h.origin}/socket.io/socket.io.js`, { headers: { "if-none-match": '"0.0.0"' } });
    expect(stale.status).toBe(200);
    expect((await stale.text()).length).toBeGreaterThan(1000);
  });

  test("HEAD on a client file answers like GET without a body: same status and headers, Content-Length of the file; 304 on a match", async () => {
    await using h = startSio();
    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.js.map"]) {
      const file = readFileSync(join(dist, name));
      const head = await rawRequest(h.port, `HEAD /socket.io/${name} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nConnection: close\r\n\r\n`);
      expect(head.status).toBe(200);
      expect(head.headers["etag"]).toBe(`"${version}"`);
      expect(head.headers["content-type"]).toContain(name.endsWith(".map") ? "application/json" : "application/javascript");
      expect(head.headers["content-length"]).toBe(String(file.byteLength));
      expect(head.body).toBe("");
    }
    const cached = await fetch(`${h.origin}/socket.io/socket.io.js`, { method: "HEAD", headers: { "if-none-match": `"${version}"` } });
    expect(cached.status).toBe(304);
  });

  test(".min.js, .esm.min.js, .msgpack.min.js and .js.map are served too", async () => {
    await using h = startSio();
    for (const name of ["socket.io.min.js", "socket.io.esm.min.js", "socket.io.msgpack.min.js"]) {
      const response = await fetch(`${h.origin}/socket.io/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
      expect(response.headers.get("etag")).toBe(`"${version}"`);
      expect(await response.text()).toBe(readFileSync(join(dist, name), "utf8"));
    }
    const map = await fetch(`${h.origin}/socket.io/socket.io.js.map`);
    expect(map.status).toBe(200);
    expect(map.headers.get("content-type")).toContain("application/json");
    const parsed = (await map.json()) as { version: number; sources: unknown[] };
    expect(parsed.version).toBe(3);
    expect(Array.isArray(parsed.sources)).toBe(true);
  });

  test("unknown files under the path are not served", async () => {
    await using h = startSio();
    for (const name of ["socket.io.jsx", "../package.json", "constructor", "__proto__", "socket.io.js/"]) {
      const response = await fetch(`${h.origin}/socket.io/${name}`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });

  test("serveClient: false answers 404", async () => {
    await using h = startSio({ serveClient: false });
    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.js.map"]) {
      const response = await fetch(`${h.origin}/socket.io/${name}`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });

  test("the fallback given to io.handler(fallback) serves other paths; Socket.IO still works beside it", async () => {
    const fallbackPaths: string[] = [];
    await using h = startSio({ ...FAST_HEARTBEAT, serveClient: true }, (request) => {
      const path = new URL(request.url).pathname;
      fallbackPaths.push(path);
      return new Response(`fallback:${path}`, { status: 203 });
    });
    const other = await fetch(`${h.origin}/api/health`);
    expect(other.status).toBe(203);
    expect(await other.text()).toBe("fallback:/api/health");
    const unknownClientFile = await fetch(`${h.origin}/socket.io/nope.js`);
    expect(await unknownClientFile.text()).toBe("fallback:/socket.io/nope.js");
    // The bundle still comes from serveClient, not from the fallback.
    const bundle = await fetch(`${h.origin}/socket.io/socket.io.min.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("etag")).toBe(`"${version}"`);
    await bundle.arrayBuffer();
    expect(fallbackPaths).toEqual(["/api/health", "/socket.io/nope.js"]);
    installEcho(h.io);
    const client = await h.connect();
    expect(await echoRoundTrip(client, "beside a fallback")).toBe("beside a fallback");
  });

  test("serveClient: false with a fallback: the client file path goes to the fallback", async () => {
    await using h = startSio({ serveClient: false }, (request) => new Response(`fallback:${new URL(request.url).pathname}`));
    const response = await fetch(`${h.origin}/socket.io/socket.io.js`);
    expect(await response.text()).toBe("fallback:/socket.io/socket.io.js");
  });
});
