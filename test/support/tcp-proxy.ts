// A TCP proxy in front of a server (Postgres) that a test can cut: refuse connections (the database
// is down, or only new connections fail), drop every byte silently (a half-open network: nothing
// errors, nothing answers), close every connection, or hold a new connection's first statement in
// flight (its answers kept back), and then restore the link.
import net from "node:net";

export type TcpProxy = {
  port: number;
  /** Closes the port (new connections are refused) and every open connection: the database is down. */
  refuse(): Promise<void>;
  /** Closes the port only: new connections are refused, the open ones keep working. */
  refuseNew(): Promise<void>;
  /**
   * Drops every byte of the open connections and of new ones, both ways, without closing anything.
   * Connections cut this way stay silent after restore(), like a lost NAT entry: only new ones work.
   */
  blackhole(): void;
  /** Only the connections open now go silent (wedged connections); new ones are forwarded. */
  blackholeOpen(): void;
  /** Closes every open connection at once (both sides). */
  closeAll(): void;
  /**
   * The next connection opened is forwarded until its client sends its first message after the
   * startup message (with trust authentication: its first statement), then the server's answers to
   * it are kept back: that statement stays in flight until restore() or closeAll(). Resolves once
   * the statement went through to the server.
   */
  holdFirstStatement(): Promise<void>;
  /** Forwards new connections again (and listens again after refuse()). */
  restore(): Promise<void>;
  /** Connections open now, forwarded or silent. */
  readonly open: number;
  /** The local ports of the forwarded connections to the target (Postgres' pg_stat_activity.client_port). */
  readonly upstreamPorts: number[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

type Pair = { client: net.Socket; upstream: net.Socket | undefined; silent: boolean; held: Buffer[] | undefined };

/** Watches a client's bytes for its first message after the startup message (whose first 4 bytes are its length). */
function firstStatementWatch(onStatement: () => void): (chunk: Buffer) => void {
  let seen = Buffer.alloc(0);
  let done = false;
  return (chunk) => {
    if (done) return;
    seen = Buffer.concat([seen, chunk]);
    if (seen.length < 4) return;
    if (seen.length > seen.readInt32BE(0)) {
      done = true;
      onStatement();
    }
  };
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let silentNew = false;
  let holdNext: (() => void) | undefined;

  const server = net.createServer((client) => {
    // A connection accepted while cut is never forwarded: it needs no upstream (nor a live target).
    const upstream = silentNew ? undefined : net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, silent: silentNew, held: undefined };
    pairs.add(pair);
    const holding = holdNext;
    holdNext = undefined;
    const watch = holding
      ? firstStatementWatch(() => {
          pair.held = [];
          holding();
        })
      : undefined;
    client.on("data", (chunk: Buffer) => {
      if (pair.silent) return;
      // Written first: the statement reaches the server, only its answers are kept back.
      upstream?.write(chunk);
      watch?.(chunk);
    });
    upstream?.on("data", (chunk: Buffer) => {
      if (pair.silent) return;
      if (pair.held) pair.held.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream?.destroy();
    };
    client.on("close", end);
    client.on("error", end);
    upstream?.on("close", end);
    upstream?.on("error", end);
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  const port = await listen(0);
  let listening = true;

  const closeAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  };
  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const proxy: TcpProxy = {
    port,
    async refuse() {
      const closed = stopListening();
      closeAll();
      await closed;
    },
    async refuseNew() {
      // Not waiting for close's callback: it comes only once the open connections are gone.
      if (!listening) return;
      listening = false;
      server.close();
    },
    blackhole() {
      silentNew = true;
      for (const pair of pairs) pair.silent = true;
    },
    blackholeOpen() {
      for (const pair of pairs) pair.silent = true;
    },
    closeAll,
    holdFirstStatement() {
      return new Promise<void>((resolve) => {
        holdNext = resolve;
      });
    },
    async restore() {
      silentNew = false;
      for (const pair of pairs) {
        const held = pair.held;
        pair.held = undefined;
        for (const chunk of held ?? []) pair.client.write(chunk);
      }
      if (!listening) {
        await listen(port);
        listening = true;
      }
    },
    get open() {
      return pairs.size;
    },
    get upstreamPorts() {
      const ports: number[] = [];
      for (const pair of pairs) if (pair.upstream?.localPort !== undefined) ports.push(pair.upstream.localPort);
      return ports;
    },
    async close() {
      const closed = stopListening();
      closeAll();
      await closed;
    },
    [Symbol.asyncDispose]: () => proxy.close(),
  };
  return proxy;
}
