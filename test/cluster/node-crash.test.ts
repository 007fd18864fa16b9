// A node killed without a shutdown (kill -9), under ADAPTER=redis and ADAPTER=postgres (Postgres
// alone): its heartbeat stops, a live node reaps it within the heartbeat timeout and its users go
// offline, announced to everyone and stored; a node that starts after the crash does the same for
// what the dead one left; a node killed mid-traffic loses nothing it acknowledged.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import {
  CHAT_CLIENT_DEFAULTS,
  connected,
  emitAck,
  emitAckWithin,
  expectOk,
  record,
  startChat,
  waitFor,
  type ChatHarness,
  type ChatUser,
  type UserStatus,
  type WirePage,
  type WireProfile,
  type WireRoomMessage,
} from "../support/chat-client.ts";
import { createFaultDatabase, postgresAnswersOrSkip, type FaultDatabase } from "../support/fault-database.ts";
import { eventually } from "../faults/support.ts";
import { spawnChildNode, type ChildNode } from "./child-node.ts";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const redis = await redisAvailable("node crash tests on Redis");
const postgresUp = await postgresAnswersOrSkip("node crash tests");

const NODE = join(import.meta.dir, "node-process.ts");
// Short, so a dead node is noticed within a second (three missed heartbeats); not shorter: a child
// node starved of CPU for three heartbeats (a busy machine) is reaped while alive (seen at 150 ms).
const HEARTBEAT_MS = 300;

// One database for the file: each test is a cluster of its own (its own key, its own users), so
// they share it instead of each paying for a database's creation, migration and drop.
let database: Promise<FaultDatabase> | undefined;
const sharedDatabase = () => (database ??= createFaultDatabase());
afterAll(async () => {
  if (database) await (await database)[Symbol.asyncDispose]();
});

type Driver = "redis" | "postgres";

function startChild(driver: Driver, databaseUrl: string, clusterKey: string): Promise<ChildNode> {
  return spawnChildNode(NODE, [databaseUrl, clusterKey, String(HEARTBEAT_MS), driver]);
}

function startParent(driver: Driver, databaseUrl: string, clusterKey: string): Promise<ChatHarness> {
  return startChat({ ADAPTER: driver, DATABASE_URL: databaseUrl }, { ownDatabase: true, clusterKey, presenceHeartbeatMs: HEARTBEAT_MS });
}

/** A node in this process and one in a child process, of one cluster of their own; disposing kills the child and closes the rest. */
async function parentAndChild(driver: Driver) {
  const db = await sharedDatabase();
  const clusterKey = uniqueKey("crash");
  let parent: ChatHarness | undefined;
  try {
    parent = await startParent(driver, db.directUrl, clusterKey);
    const child = await startChild(driver, db.directUrl, clusterKey);
    const started = parent;
    return {
      parent: started,
      child,
      async [Symbol.asyncDispose]() {
        child.process.kill("SIGKILL");
        await started[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await parent?.[Symbol.asyncDispose]();
    throw error;
  }
}

/** Ada's socket on the child node. */
async function adaOnChild(child: ChildNode, ada: ChatUser) {
  const socket = ioc(child.url, { ...CHAT_CLIENT_DEFAULTS, auth: { token: ada.token } });
  await connected(socket);
  return socket;
}

async function profileStatus(node: ChatHarness, of: ChatUser, asker: ChatUser): Promise<string> {
  return (await node.rest<WireProfile>("GET", `/api/users/${of.id}`, asker.token)).body.data.status;
}

for (const driver of ["redis", "postgres"] as const) {
  const up = postgresUp && (driver === "postgres" || redis);
  describe.skipIf(!up)(`a node killed with kill -9 (ADAPTER=${driver})`, () => {
    test("its users go offline within the heartbeat timeout, announced to the other node's users", async () => {
      await using nodes = await parentAndChild(driver);
      const { parent, child } = nodes;
      const [ada, bob] = [await parent.user("Ada"), await parent.user("Bob")];
      const bobSocket = await parent.connect(bob);
      const online = waitFor<UserStatus>(bobSocket, "user:status", 5000, (s) => s.userId === ada.id);
      const adaSocket = await adaOnChild(child, ada);
      expect(await online).toEqual({ userId: ada.id, status: "online" });
      expect(await profileStatus(parent, ada, bob)).toBe("online");

      const offline = waitFor<UserStatus>(bobSocket, "user:status", 5000, (s) => s.userId === ada.id);
      const killedAt = performance.now();
      child.process.kill("SIGKILL");
      await child.process.exited;
      expect(await offline).toEqual({ userId: ada.id, status: "offline" });
      // Three missed heartbeats, and at most one more until the next reaping.
      expect(performance.now() - killedAt).toBeLessThan(HEARTBEAT_MS * 5 + 1000);
      expect(await profileStatus(parent, ada, bob)).toBe("offline");
      adaSocket.disconnect();
    });

    test("a node started after the crash takes the dead node's users offline within the timeout", async () => {
      const db = await sharedDatabase();
      const clusterKey = uniqueKey("crash");
      const child = await startChild(driver, db.directUrl, clusterKey);
      let next: ChatHarness | undefined;
      try {
        const [ada, bob] = [await registerAt(child.url, "Ada"), await registerAt(child.url, "Bob")];
        const adaSocket = await adaOnChild(child, ada);
        child.process.kill("SIGKILL");
        await child.process.exited;
        adaSocket.disconnect();

        const startedAt = performance.now();
        next = await startParent(driver, db.directUrl, clusterKey);
        const node = next;
        await eventually("Ada stored offline", async () => ((await profileStatus(node, ada, bob)) === "offline" ? true : undefined), 5000, HEARTBEAT_MS);
        expect(performance.now() - startedAt).toBeLessThan(HEARTBEAT_MS * 5 + 1000);
      } finally {
        child.process.kill("SIGKILL");
        await next?.[Symbol.asyncDispose]();
      }
    });

    test("killed mid-traffic: every message it acknowledged is stored, none reaches the other node twice, its sender goes offline", async () => {
      await using nodes = await parentAndChild(driver);
      const { parent, child } = nodes;
      const [ada, bob] = [await parent.user("Ada"), await parent.user("Bob")];
      const room = await parent.createRoom(bob, { name: "Crash traffic" });
      const bobSocket = await parent.connect(bob);
      expectOk(await emitAck(bobSocket, "room:join", room.id));
      const adaSocket = await adaOnChild(child, ada);
      expectOk(await emitAck(adaSocket, "room:join", room.id));
      const received = record<WireRoomMessage>(bobSocket, "message:received");
      const offline = waitFor<UserStatus>(bobSocket, "user:status", 10_000, (s) => s.userId === ada.id && s.status === "offline");

      // Ada sends on three lanes, each message on the previous one's ack, until her node is gone:
      // the kill finds messages in flight.
      const acked: number[] = [];
      let sending = true;
      const lane = async (name: string) => {
        for (let i = 0; sending; i++) {
          try {
            const ack = await emitAckWithin<WireRoomMessage>(adaSocket, 1000, "message:send", { roomId: room.id, text: `${name} ${i}` });
            if (ack.ok) acked.push(ack.data.id);
          } catch {
            return;
          }
        }
      };
      const traffic = Promise.all(["a", "b", "c"].map(lane));
      // Mid-traffic: Ada has twenty acks and Bob has heard twenty, more are on their way.
      await eventually("twenty messages acked and heard on the other node", () => (acked.length >= 20 && received.length >= 20 ? true : undefined), 10_000, 10);
      child.process.kill("SIGKILL");
      await child.process.exited;
      expect(await offline).toEqual({ userId: ada.id, status: "offline" });
      sending = false;
      adaSocket.disconnect();
      await traffic;

      const page = await parent.rest<WirePage<WireRoomMessage>>("GET", `/api/rooms/${room.id}/messages?limit=100`, bob.token);
      const stored = new Set(page.body.data.messages.map((m) => m.id));
      expect(acked.length).toBeGreaterThanOrEqual(20);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
      // What Bob heard was stored, each once; what he did not hear live is in the history.
      const heard = received.map((m) => m.id);
      expect(new Set(heard).size).toBe(heard.length);
      expect(heard.filter((id) => !stored.has(id))).toEqual([]);
      // An ack leaves once the message is stored, its NOTIFY/PUBLISH still on its way: what was still
      // queued for the bus at the kill never reached Bob (on Postgres, whose NOTIFYs go one at a time,
      // 8 in a CI run), and he reads those in the history. The node stores one batch at a time and
      // broadcasts one socket's messages in order, and the bus keeps that order: what he missed is
      // only that tail, never a message from the middle.
      const lastHeard = Math.max(...heard);
      const missed = acked.filter((id) => !heard.includes(id));
      expect(missed.filter((id) => id < lastHeard)).toEqual([]);
      expect(stored.size).toBeLessThan(100);
    });
  });
}

/** Registers and logs in an account over REST at `url`. */
async function registerAt(url: string, firstName: string): Promise<ChatUser> {
  const email = uniqueEmail(firstName.toLowerCase());
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return (await response.json()) as { data: { token: string; user: { id: string } } };
  };
  await post("/api/auth/register", { email, password: TEST_PASSWORD, firstName, lastName: "Crash" });
  const { data } = await post("/api/auth/login", { email, password: TEST_PASSWORD });
  return { id: data.user.id, email, token: data.token, firstName, lastName: "Crash" };
}
