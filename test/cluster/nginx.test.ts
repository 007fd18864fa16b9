// Deployment as README "Running several nodes" describes it: two `bun src/main.ts` nodes with
// ADAPTER=redis, then ADAPTER=postgres, on one fresh Postgres, behind a real nginx running
// docs/nginx.conf. Stock clients in their default polling→websocket mode, from several source
// addresses so ip_hash spreads them over both nodes, upgrade through nginx and chat across nodes.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { io as ioc } from "socket.io-client";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";
import { emitAck, expectOk, waitFor, type ClientOptions, type ClientSocket } from "../support/chat-client.ts";
import { parseExposition, valueOf } from "../support/prometheus.ts";
import { connected } from "../support/sio-client.ts";
import { findNginx, NGINX_SITE, startNginx } from "./nginx.ts";
import { freshPostgresDatabase, postgresAvailable, startAppNode, type AppNode } from "./processes.ts";
import { redisAvailable } from "./support.ts";

const SUITE = "the nginx cluster test";
const nginx = findNginx();
if (nginx === undefined) console.warn(`skipping ${SUITE}: nginx is not installed (apt-get install nginx)`);
const withPostgres = nginx !== undefined && (await postgresAvailable(SUITE));
const withRedis = withPostgres && (await redisAvailable(`${SUITE} on Redis`));
const DRIVERS = [
  { adapter: "redis", available: withRedis },
  { adapter: "postgres", available: withPostgres },
] as const;

const CONNECTED = "studyconnect_socketio_connected_sockets";

type Member = { name: string; id: string; token: string; socket: ClientSocket; node: AppNode };

/** Sockets of the main namespace on `node` by transport, from its /metrics. */
async function socketsOn(node: AppNode): Promise<{ polling: number; websocket: number }> {
  const scrape = parseExposition(await (await fetch(`${node.url}/metrics`)).text());
  return {
    polling: valueOf(scrape, CONNECTED, { namespace: "/", transport: "polling" }),
    websocket: valueOf(scrape, CONNECTED, { namespace: "/", transport: "websocket" }),
  };
}

/** Polling or WebSocket requests `node` refused for naming a session it does not have. */
async function unknownSessionRefusals(node: AppNode): Promise<number> {
  const scrape = parseExposition(await (await fetch(`${node.url}/metrics`)).text());
  return valueOf(scrape, "studyconnect_handshake_refusals_total", { reason: "unknown_sid" });
}

/** Resolves once the client's Engine.IO connection runs on WebSocket (after its upgrade from polling). */
function upgraded(socket: ClientSocket, ms = 5000): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === "websocket") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no upgrade to websocket within ${ms} ms`)), ms);
    engine.once("upgrade", () => {
      clearTimeout(timer);
      resolve();
    });
    engine.once("upgradeError", (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** POST `body` as JSON to `base` + `path`; answers the reply's data, which must come with 201. */
async function post<T>(base: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const reply = (await response.json()) as { data: T };
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(reply)}`);
  return reply.data;
}

/** A fresh account signed up through `base`, with its token. */
function register(base: string, name: string): Promise<{ token: string; user: { id: string } }> {
  return post(base, "/api/auth/register", { email: uniqueEmail(name.toLowerCase()), password: TEST_PASSWORD, firstName: name, lastName: "Behind-Nginx" });
}

for (const { adapter, available } of DRIVERS) {
  describe.skipIf(!available)(`two nodes with ADAPTER=${adapter} behind nginx (docs/nginx.conf)`, () => {
    test("stock clients connect by polling, upgrade through nginx, land on both nodes and chat across them", async () => {
      if (nginx === undefined) throw new Error("unreachable: skipped without nginx");
      await using database = await freshPostgresDatabase("studyconnect_nginx");
      const env = { ADAPTER: adapter, DATABASE_URL: database.url, JWT_SECRET: `nginx-test-${crypto.randomUUID()}`, TRUST_PROXY: "127.0.0.1" };
      await using one = await startAppNode(env);
      await using two = await startAppNode(env);
      await using proxy = await startNginx(nginx, [one.port, two.port]);
      const nodes = [one, two];

      const members: Member[] = [];
      try {
        // One user per source address 127.0.N.1 (ip_hash keys on the first three octets) until each
        // node holds two; the nodes' own /metrics say where each one landed.
        for (let n = 1; n <= 16 && !nodes.every((node) => members.filter((m) => m.node === node).length >= 2); n++) {
          const name = `User${n}`;
          const { token, user } = await register(proxy.url, name);
          const before = await Promise.all(nodes.map(socketsOn));
          const options: ClientOptions = { forceNew: true, reconnection: false, timeout: 5000, auth: { token } };
          // The source address, for both transports: long-polling goes through node:http with the
          // client's `agent` (typed string | boolean, but handed to http.request as the Agent it is);
          // the WebSocket through Bun's `ws`, which ignores agents but takes `localAddress`.
          const localAddress = `127.0.${n}.1`;
          Object.assign(options, { agent: new Agent({ localAddress }), localAddress });
          const socket = ioc(proxy.url, options);
          // Default transports: the session opens on long-polling, then upgrades.
          expect(socket.io.engine.transport.name).toBe("polling");
          await connected(socket, 5000);
          await upgraded(socket);
          // The client counts itself upgraded once it sent the upgrade; an answer over the WebSocket
          // (any event is answered) comes after the server switched, so /metrics shows it there.
          await socket.timeout(5000).emitWithAck("no:such-event");
          const after = await Promise.all(nodes.map(socketsOn));
          const landed = nodes.filter((_node, i) => (after[i]?.websocket ?? 0) === (before[i]?.websocket ?? 0) + 1);
          expect(landed).toHaveLength(1);
          const node = landed[0];
          if (node === undefined) throw new Error("unreachable: one node gained the socket");
          members.push({ name, id: user.id, token, socket, node });
        }
        for (const node of nodes) expect(members.filter((m) => m.node === node).length).toBeGreaterThanOrEqual(2);
        // Every socket runs on WebSocket on its node; none was left on polling.
        for (const node of nodes) {
          expect(await socketsOn(node)).toEqual({ polling: 0, websocket: members.filter((m) => m.node === node).length });
        }

        const [first] = members;
        if (first === undefined) throw new Error("unreachable: members were connected");
        const room = await post<{ id: string }>(proxy.url, "/api/rooms", { name: "Behind nginx", isPublic: true }, first.token);
        for (const member of members) expectOk(await emitAck(member.socket, "room:join", room.id));

        // Each member says one thing; every member (on either node) hears all of it.
        const heard = members.map((member) => collect(member.socket, members.length));
        for (const member of members) expectOk(await emitAck(member.socket, "message:send", { roomId: room.id, text: `hello from ${member.name}` }));
        for (const texts of await Promise.all(heard)) {
          expect(texts.toSorted()).toEqual(members.map((m) => `hello from ${m.name}`).toSorted());
        }

        // A direct message from a user on node one reaches a user on node two.
        const sender = members.find((m) => m.node === one);
        const recipient = members.find((m) => m.node === two);
        if (sender === undefined || recipient === undefined) throw new Error("unreachable: both nodes have members");
        const dm = waitFor<{ text: string; sender: { id: string } }>(recipient.socket, "dm:received", 5000);
        expectOk(await emitAck(sender.socket, "dm:send", { recipientId: recipient.id, text: "across nginx" }));
        expect(await dm).toMatchObject({ text: "across nginx", sender: { id: sender.id }, recipientId: recipient.id });
      } finally {
        for (const member of members) member.socket.disconnect();
      }

    }, 60_000);
  });
}

describe.skipIf(!withRedis)("nginx without ip_hash, two nodes with ADAPTER=redis", () => {
  test("without ip_hash the default client's polling session breaks, and WebSocket-only clients need no stickiness", async () => {
    if (nginx === undefined) throw new Error("unreachable: skipped without nginx");
    await using database = await freshPostgresDatabase("studyconnect_nginx");
    const env = { ADAPTER: "redis", DATABASE_URL: database.url, JWT_SECRET: `nginx-test-${crypto.randomUUID()}`, TRUST_PROXY: "127.0.0.1" };
    await using one = await startAppNode(env);
    await using two = await startAppNode(env);
    await using proxy = await startNginx(nginx, [one.port, two.port], { withoutIpHash: true });
    const nodes = [one, two];
    const ada = await register(proxy.url, "Ada");
    const bob = await register(proxy.url, "Bob");
    const sockets: ClientSocket[] = [];
    const open = (token: string, options: ClientOptions) => {
      const socket = ioc(proxy.url, { forceNew: true, reconnection: false, timeout: 5000, auth: { token }, ...options });
      sockets.push(socket);
      return socket;
    };
    try {
      // Round robin: the request after the handshake reaches the other node, which knows no such session.
      const refusedBefore = await Promise.all(nodes.map(unknownSessionRefusals));
      const polling = open(ada.token, {});
      const failure = new Promise<Error>((resolve) => polling.once("connect_error", resolve));
      const connectedAnyway = new Promise<void>((resolve) => polling.once("connect", () => resolve()));
      expect(await Promise.race([failure, connectedAnyway.then(() => undefined)])).toBeInstanceOf(Error);
      const refusedAfter = await Promise.all(nodes.map(unknownSessionRefusals));
      expect(refusedAfter.reduce((a, b) => a + b) - refusedBefore.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);

      // A WebSocket-only session is one connection: round robin puts the two on different nodes, and they still talk.
      const adaSocket = await connected(open(ada.token, { transports: ["websocket"] }), 5000);
      const bobSocket = await connected(open(bob.token, { transports: ["websocket"] }), 5000);
      expect(await Promise.all(nodes.map(socketsOn))).toEqual([
        { polling: 0, websocket: 1 },
        { polling: 0, websocket: 1 },
      ]);
      const dm = waitFor<{ text: string }>(bobSocket, "dm:received", 5000);
      expectOk(await emitAck(adaSocket, "dm:send", { recipientId: bob.user.id, text: "no stickiness needed" }));
      expect(await dm).toMatchObject({ text: "no stickiness needed" });
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  }, 60_000);
});

/** The texts of the next `count` message:received events on `socket`; rejects after 5 s. */
function collect(socket: ClientSocket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const texts: string[] = [];
    const timer = setTimeout(() => reject(new Error(`heard ${texts.length} of ${count} messages within 5 s: ${JSON.stringify(texts)}`)), 5000);
    const listener = (payload: { text: string }) => {
      texts.push(payload.text);
      if (texts.length < count) return;
      clearTimeout(timer);
      socket.off("message:received", listener);
      resolve(texts);
    };
    socket.on("message:received", listener);
  });
}

test("README's nginx block is docs/nginx.conf without its comments", () => {
  const withoutComments = (text: string) =>
    text
      .split("\n")
      .filter((line) => !line.trim().startsWith("#"))
      .join("\n")
      .replace(/\n{2,}/g, "\n\n")
      .trim();
  const readme = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");
  const block = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  expect(withoutComments(block ?? "")).toBe(withoutComments(readFileSync(NGINX_SITE, "utf8")));
});
