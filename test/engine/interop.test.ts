// Interop with the real engine.io-client (the dependency of socket.io-client): polling then
// upgrade to WebSocket, WebSocket only, polling only; text and binary echo; clean close.
import { describe, expect, test } from "bun:test";
import { Socket, type SocketOptions } from "engine.io-client";
import { startEngineServer, SUITE_OPTIONS, withTimeout, type StartedEngine } from "../support/engine-server.ts";

type Received = string | Uint8Array;

function toReceived(data: unknown): Received {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`unexpected message type ${Object.prototype.toString.call(data)}`);
}

/** An engine.io-client Socket whose messages are queued, with awaitable open/upgrade/close. */
class Client {
  readonly socket: Socket;
  readonly opened: Promise<void>;
  readonly closed: Promise<string>;
  readonly upgraded: Promise<string>;
  private readonly queue: Received[] = [];
  private readonly waiters: Array<(message: Received) => void> = [];

  constructor(s: StartedEngine, options: SocketOptions) {
    this.socket = new Socket(s.origin, { path: "/engine.io/", ...options });
    this.opened = new Promise<void>((resolve, reject) => {
      this.socket.on("open", () => resolve());
      this.socket.on("error", (error: string | Error) => reject(error instanceof Error ? error : new Error(error)));
    });
    this.closed = new Promise<string>((resolve) => {
      this.socket.on("close", (reason: string) => resolve(reason));
    });
    this.upgraded = new Promise<string>((resolve) => {
      this.socket.on("upgrade", (transport) => resolve(transport.name));
    });
    this.socket.on("message", (data: unknown) => {
      const message = toReceived(data);
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
  }

  next(timeoutMs = 1000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return withTimeout(new Promise<Received>((resolve) => this.waiters.push(resolve)), timeoutMs, "client message");
  }
}

async function echoTextAndBinary(client: Client): Promise<void> {
  client.socket.send("hello");
  client.socket.send(new Uint8Array([1, 2, 3, 250]));
  client.socket.send("héllo 😀");
  expect(await client.next()).toBe("hello");
  const binary = await client.next();
  expect(binary).toBeInstanceOf(Uint8Array);
  expect([...(binary as Uint8Array)]).toEqual([1, 2, 3, 250]);
  expect(await client.next()).toBe("héllo 😀");
}

describe("engine.io-client interop", () => {
  test("polling, then upgrade to websocket: echo text and binary, survive pings, close", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const client = new Client(s, { transports: ["polling", "websocket"] });
    await withTimeout(client.opened, 2000, "open");
    expect(client.socket.transport.name).toBe("polling");
    const sid = client.socket.id;
    expect((await s.session(sid)).id).toBe(sid);
    await echoTextAndBinary(client); // possibly still on polling, or mid-upgrade
    expect(await withTimeout(client.upgraded, 2000, "upgrade")).toBe("websocket");
    await s.upgradeOf(sid);
    expect((await s.session(sid)).transport).toBe("websocket");
    await echoTextAndBinary(client);
    // Several ping rounds (pingInterval 300) with nothing else going on.
    await withTimeout(
      new Promise<void>((resolve) => {
        let pings = 0;
        client.socket.on("ping", () => {
          if (++pings === 3) resolve();
        });
      }),
      2000,
      "3 pings",
    );
    expect(s.closes).toHaveLength(0);
    client.socket.close();
    expect(await withTimeout(client.closed, 1000, "client close")).toBe("forced close");
    expect((await s.closeOf(sid)).reason).toBe("transport close");
    expect(s.engine.clientsCount).toBe(0);
  });

  test("websocket only: echo text and binary, close", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const client = new Client(s, { transports: ["websocket"] });
    await withTimeout(client.opened, 2000, "open");
    expect(client.socket.transport.name).toBe("websocket");
    const sid = client.socket.id;
    expect((await s.session(sid)).transport).toBe("websocket");
    await echoTextAndBinary(client);
    client.socket.close();
    await withTimeout(client.closed, 1000, "client close");
    expect((await s.closeOf(sid)).reason).toBe("transport close");
  });

  test("polling only (upgrade: false): echo text and binary, survive pings, close", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const client = new Client(s, { transports: ["polling"], upgrade: false });
    await withTimeout(client.opened, 2000, "open");
    const sid = client.socket.id;
    await echoTextAndBinary(client);
    await withTimeout(
      new Promise<void>((resolve) => {
        let pings = 0;
        client.socket.on("ping", () => {
          if (++pings === 3) resolve();
        });
      }),
      2000,
      "3 pings",
    );
    await echoTextAndBinary(client);
    expect(client.socket.transport.name).toBe("polling");
    expect((await s.session(sid)).transport).toBe("polling");
    expect(s.closes).toHaveLength(0);
    client.socket.close();
    await withTimeout(client.closed, 1000, "client close");
    expect((await s.closeOf(sid)).reason).toBe("transport close");
  });

  test("a server-side close reaches the client (websocket and polling)", async () => {
    await using s = await startEngineServer(SUITE_OPTIONS);
    const ws = new Client(s, { transports: ["websocket"] });
    await withTimeout(ws.opened, 2000, "open");
    (await s.session(ws.socket.id)).close();
    await withTimeout(ws.closed, 1000, "websocket client close");

    const polling = new Client(s, { transports: ["polling"], upgrade: false });
    await withTimeout(polling.opened, 2000, "open");
    (await s.session(polling.socket.id)).close();
    await withTimeout(polling.closed, 1000, "polling client close");
  });

  test("many messages each way over polling with the client's own batching", async () => {
    await using s = await startEngineServer({ ...SUITE_OPTIONS, pingInterval: 10_000, pingTimeout: 5_000 });
    const client = new Client(s, { transports: ["polling"], upgrade: false });
    await withTimeout(client.opened, 2000, "open");
    for (let i = 0; i < 500; i++) client.socket.send(`n${i}`);
    for (let i = 0; i < 500; i++) expect(await client.next(2000)).toBe(`n${i}`);
    client.socket.close();
  });
});
