// A Postgres adapter closed while another node's request is still queued for it (notifications are
// handed on a turn after they arrive): after its goodbye it answers nothing, so nothing more goes
// to a NOTIFY connection about to be ended (a NOTIFY there would fail and be logged as an error).
import { expect, test } from "bun:test";
import type { PostgresBusClient } from "../../src/adapter/postgres-client.ts";
import { MessageType } from "../../src/adapter/postgres-protocol.ts";
import { createPostgresAdapter, PostgresAdapter, Server } from "../../src/socketio/index.ts";

/** A client that hands the test the listener's callback and records what the notifier sends, in order. */
function recordingClient() {
  const sent: number[] = [];
  let deliver: ((payload: string) => void) | undefined;
  const client: PostgresBusClient = {
    async listen(_channel, onNotify, onListen) {
      deliver = onNotify;
      onListen?.();
      return { unlisten: async () => {} };
    },
    notify: async () => [],
    unsafe: async () => [],
    notifier: {
      async notify(_channel, payload) {
        const type: unknown = JSON.parse(payload).type;
        if (typeof type === "number") sent.push(type);
      },
      probe: async () => {},
      onClose: () => {},
    },
  };
  return {
    client,
    sent,
    deliver(document: Record<string, unknown>) {
      if (!deliver) throw new Error("not listening yet");
      deliver(JSON.stringify(document));
    },
  };
}

test("a request queued when the adapter closes is not answered after its goodbye", async () => {
  const recorded = recordingClient();
  const io = new Server({ adapter: createPostgresAdapter(recorded.client, { channelPrefix: "close-test", onError: () => {} }) });
  const adapter = io.of("/").adapter;
  if (!(adapter instanceof PostgresAdapter)) throw new Error("not the Postgres adapter");
  await adapter.ready;
  const request = { uid: "other-node", type: MessageType.FETCH_SOCKETS, nsp: "/", data: { requestId: "r1", opts: { rooms: [], except: [] } } };
  // A sentinel request answered while open: the same path, so its answer shows requests are answered.
  recorded.deliver({ ...request, data: { ...request.data, requestId: "r0" } });
  await adapter.drained();
  await new Promise<void>((resolve) => setImmediate(resolve));
  await adapter.drained();
  expect(recorded.sent).toContain(MessageType.FETCH_SOCKETS_RESPONSE);
  recorded.sent.length = 0;

  recorded.deliver(request);
  adapter.close();
  // Handed on a turn later, then whatever it led to published.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  await adapter.drained();
  expect(recorded.sent).toEqual([MessageType.ADAPTER_CLOSE]);
});

test("cleanups cut short by the close (attachments, session snapshots) are not reported; while open they are", async () => {
  const recorded = recordingClient();
  const held: { query: string; fail(): void }[] = [];
  const cleanupAsked = { wake: () => {} };
  recorded.client.unsafe = (query) => {
    if (!query.startsWith("DELETE")) return Promise.resolve([]);
    const { promise, reject } = Promise.withResolvers<readonly Record<string, unknown>[]>();
    held.push({ query, fail: () => reject(Object.assign(new Error("write CONNECTION_DESTROYED"), { code: "CONNECTION_DESTROYED" })) });
    cleanupAsked.wake();
    return promise;
  };
  /** Resolves once both cleanups (attachments, snapshots) are held; clears what was held before. */
  const bothCleanupsHeld = async () => {
    held.length = 0;
    while (!(held.some((h) => h.query.includes("socket_io_attachments")) && held.some((h) => h.query.includes("socket_io_sessions")))) {
      await new Promise<void>((resolve) => {
        cleanupAsked.wake = resolve;
      });
    }
    return [...held];
  };
  const errors: string[] = [];
  const adapterFactory = createPostgresAdapter(recorded.client, { channelPrefix: "close-test", cleanupInterval: 20, onError: (_, context) => void errors.push(context) });
  const io = new Server({ adapter: adapterFactory, connectionStateRecovery: true });
  const adapter = io.of("/").adapter;
  if (!(adapter instanceof PostgresAdapter)) throw new Error("not the Postgres adapter");
  await adapter.ready;

  // While open: a failed cleanup is reported.
  for (const cleanup of await bothCleanupsHeld()) cleanup.fail();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  expect(errors.toSorted()).toEqual(["attachment cleanup", "session snapshot cleanup"]);
  errors.length = 0;

  // In flight when the adapter closes, then failed by the client's end.
  const inFlight = await bothCleanupsHeld();
  adapter.close();
  for (const cleanup of inFlight) cleanup.fail();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  expect(errors).toEqual([]);
});
