// Acks the server waits for when the client goes away: a timed ack always answers "operation has
// timed out" when its timeout passes (pending at disconnect, emitted on a closed socket, or
// carried by a volatile packet that was dropped), as socket.io does; broadcast acks settle too.
import { describe, expect, test } from "bun:test";
import type { Socket as ServerSocket } from "../../src/socketio/index.ts";
import { rejectionOf } from "../support/promises.ts";
import { connectFrame, startSioServer } from "../support/sio-server.ts";
import { startSio, waitFor, withTimeout, type ClientSocket, type SioHarness } from "../support/sio-client.ts";

/** A connected client and its server-side socket. */
async function pair(h: SioHarness, transports: ("polling" | "websocket")[] = ["websocket"]): Promise<{ client: ClientSocket; socket: ServerSocket }> {
  const connection = waitFor<[ServerSocket]>(h.io, "connection");
  const client = await h.connect("/", { transports });
  const [socket] = await connection;
  return { client, socket };
}

/** Disconnects the client and waits until the server-side socket has seen it. */
async function dropClient(client: ClientSocket, socket: ServerSocket): Promise<void> {
  const gone = waitFor(socket, "disconnect");
  client.disconnect();
  await gone;
}

/** A callback ack as a promise of its arguments. */
function callbackArgs(register: (callback: (...args: unknown[]) => void) => void): Promise<unknown[]> {
  return new Promise((resolve) => register((...args) => resolve(args)));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

describe("socket acks with a timeout when the client is gone", () => {
  test("timeout(ms).emitWithAck pending when the client disconnects rejects with 'operation has timed out'", async () => {
    await using h = startSio();
    const { client, socket } = await pair(h);
    const asked = waitFor(client, "ask");
    const answer = socket.timeout(200).emitWithAck("ask", 1);
    await asked; // the client got it and, having no ack listener, never answers
    await dropClient(client, socket);
    const error = await withTimeout(rejectionOf(answer), 2000, "the ack to time out");
    expect(messageOf(error)).toBe("operation has timed out");
  });

  test("timeout(ms).emit(ev, cb) pending when the client disconnects calls back with the timeout error", async () => {
    await using h = startSio();
    const { client, socket } = await pair(h, ["polling"]);
    const asked = waitFor(client, "ask");
    const args = callbackArgs((cb) => socket.timeout(200).emit("ask", cb));
    await asked;
    await dropClient(client, socket);
    const [error, ...rest] = await withTimeout(args, 2000, "the ack callback");
    expect(messageOf(error)).toBe("operation has timed out");
    expect(rest).toEqual([]);
  });

  test("on an already-disconnected socket: timeout(ms).emitWithAck rejects and timeout(ms).emit(ev, cb) calls back", async () => {
    await using h = startSio();
    const { client, socket } = await pair(h);
    await dropClient(client, socket);
    const started = Date.now();
    const error = await withTimeout(rejectionOf(socket.timeout(100).emitWithAck("late")), 2000, "emitWithAck on a closed socket");
    expect(messageOf(error)).toBe("operation has timed out");
    const [callbackError] = await withTimeout(
      callbackArgs((cb) => socket.timeout(100).emit("late", cb)),
      2000,
      "emit(cb) on a closed socket",
    );
    expect(messageOf(callbackError)).toBe("operation has timed out");
    // Answered when the timeout passes, as socket.io does, not at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test("an ack without a timeout on a closed socket is dropped: emit answers false and never calls it", async () => {
    await using h = startSio();
    const { client, socket } = await pair(h);
    await dropClient(client, socket);
    let called = false;
    expect(socket.emit("late", () => (called = true))).toBe(false);
    // The sentinel: a timed ack emitted after it answers first, so the untimed one had its chance.
    await rejectionOf(socket.timeout(20).emitWithAck("sentinel"));
    expect(called).toBe(false);
  });
});

describe("volatile emits whose packet was dropped", () => {
  test("a volatile timed ack whose packet was dropped (polling, no GET held) times out, also after the client left", async () => {
    await using s = await startSioServer({ pingInterval: 10_000, pingTimeout: 5_000 });
    const connected = waitFor<[ServerSocket]>(s.io, "connection");
    const client = await s.openPolling();
    await client.post(connectFrame());
    expect(String(await client.nextNonPing())).toStartWith("40{");
    const [socket] = await connected;
    expect(String(await client.nextNonPing())).toBe('42["auth",{}]');
    // No GET is held now: the transport is not writable and the volatile packet is dropped.
    expect(socket.conn.writable).toBe(false);
    const answer = callbackArgs((cb) => socket.volatile.timeout(200).emit("dropped", cb));
    const gone = waitFor(socket, "disconnect");
    await client.post("1");
    await gone;
    const [error] = await withTimeout(answer, 2000, "the dropped packet's ack");
    expect(messageOf(error)).toBe("operation has timed out");
  });
});

describe("broadcast acks", () => {
  test("io.timeout(ms).emit(cb) settles when a receiver disconnects instead of answering: the error and the answers it got", async () => {
    await using h = startSio();
    const first = await pair(h);
    const second = await pair(h);
    first.client.on("q", (n: number, ack: (value: number) => void) => ack(n * 2));
    const asked = waitFor(second.client, "q");
    const settled = callbackArgs((cb) => h.io.timeout(300).emit("q", 21, cb));
    await asked;
    await dropClient(second.client, second.socket);
    const [error, responses] = await withTimeout(settled, 2000, "the broadcast ack");
    expect(messageOf(error)).toBe("operation has timed out");
    expect(responses).toEqual([42]);
  });

  test("io.timeout(ms).emitWithAck rejects when every receiver disconnected", async () => {
    await using h = startSio();
    const { client, socket } = await pair(h);
    const asked = waitFor(client, "q");
    const answer = h.io.timeout(200).emitWithAck("q");
    await asked;
    await dropClient(client, socket);
    expect(messageOf(await withTimeout(rejectionOf(answer), 2000, "the broadcast ack"))).toBe("operation has timed out");
  });
});
