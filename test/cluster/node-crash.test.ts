// A node killed without a shutdown (kill -9): its heartbeat stops, a live node reaps it within the
// heartbeat timeout and its users go offline, announced to everyone and stored; a node that starts
// after the crash does the same for what the dead one left. Nodes share one Postgres and one Redis.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { CHAT_CLIENT_DEFAULTS, connected, startChat, waitFor, type ChatHarness, type ChatUser, type UserStatus, type WireProfile } from "../support/chat-client.ts";
import { createFaultDatabase, postgresAnswers, skipNotice } from "../support/fault-database.ts";
import { eventually } from "../faults/support.ts";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { redisAvailable, uniqueKey } from "./support.ts";

const redis = await redisAvailable("node crash tests");
const postgresUp = await postgresAnswers();
if (!postgresUp) skipNotice("node crash tests");

const NODE = join(import.meta.dir, "node-process.ts");
// Short, so a dead node is noticed in a fraction of a second (three missed heartbeats).
const HEARTBEAT_MS = 150;

type ChildNode = { url: string; process: ReturnType<typeof Bun.spawn> };

async function startChild(databaseUrl: string, clusterKey: string): Promise<ChildNode> {
  const child = Bun.spawn(["bun", NODE, databaseUrl, clusterKey, String(HEARTBEAT_MS)], { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of child.stdout) {
    seen += decoder.decode(chunk, { stream: true });
    const match = /listening on (http:\/\/\S+)/.exec(seen);
    if (match?.[1]) return { url: match[1], process: child };
  }
  throw new Error(`the child node exited before listening:\n${seen}`);
}

/** Ada's socket on the child node, once the parent's watcher heard her come online. */
async function adaOnChild(child: ChildNode, ada: ChatUser) {
  const socket = ioc(child.url, { ...CHAT_CLIENT_DEFAULTS, auth: { token: ada.token } });
  await connected(socket);
  return socket;
}

async function profileStatus(node: ChatHarness, of: ChatUser, asker: ChatUser): Promise<string> {
  return (await node.rest<WireProfile>("GET", `/api/users/${of.id}`, asker.token)).body.data.status;
}

describe.skipIf(!redis || !postgresUp)("a node killed with kill -9", () => {
  test("its users go offline within the heartbeat timeout, announced to the other node's users", async () => {
    await using db = await createFaultDatabase();
    const clusterKey = uniqueKey("crash");
    await using parent = await startChat({ ADAPTER: "redis", DATABASE_URL: db.directUrl }, { ownDatabase: true, clusterKey, presenceHeartbeatMs: HEARTBEAT_MS });
    const child = await startChild(db.directUrl, clusterKey);
    try {
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
    } finally {
      child.process.kill("SIGKILL");
    }
  });

  test("a node started after the crash takes the dead node's users offline within the timeout", async () => {
    await using db = await createFaultDatabase();
    const clusterKey = uniqueKey("crash");
    const child = await startChild(db.directUrl, clusterKey);
    let next: ChatHarness | undefined;
    try {
      const [ada, bob] = [await registerAt(child.url, "Ada"), await registerAt(child.url, "Bob")];
      const adaSocket = await adaOnChild(child, ada);
      child.process.kill("SIGKILL");
      await child.process.exited;
      adaSocket.disconnect();

      const startedAt = performance.now();
      next = await startChat({ ADAPTER: "redis", DATABASE_URL: db.directUrl }, { ownDatabase: true, clusterKey, presenceHeartbeatMs: HEARTBEAT_MS });
      const node = next;
      await eventually("Ada stored offline", async () => ((await profileStatus(node, ada, bob)) === "offline" ? true : undefined), 5000, HEARTBEAT_MS);
      expect(performance.now() - startedAt).toBeLessThan(HEARTBEAT_MS * 5 + 1000);
    } finally {
      child.process.kill("SIGKILL");
      await next?.[Symbol.asyncDispose]();
    }
  });
});

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
