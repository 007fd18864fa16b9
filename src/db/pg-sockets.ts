// The TCP connections postgres.js uses, opened here (its `socket` option) so the server knows when
// each last heard from Postgres. A half-open connection (the network drops every byte) never errors
// by itself: such connections are found by their silence and destroyed, and postgres.js fails what
// was waiting on them and opens new ones.
import net from "node:net";
import { outageError } from "./outage.ts";

/** What postgres.js passes to the `socket` option: its parsed host list, ports and unix socket path. */
export type SocketTarget = { host: string[]; port: number[]; path?: string | false };

export type PgSockets = {
  /** postgres.js' `socket` option. */
  open(target: SocketTarget): net.Socket;
  /** Destroys every connection that has received nothing since `since` (Date.now() ms); answers how many. */
  replaceSilent(since: number, why: string): number;
  readonly count: number;
};

export function createPgSockets(): PgSockets {
  // The time each socket last received bytes (or opened). With TLS, postgres.js reads through a TLS
  // socket wrapped around this one, whose own data events may not fire: such a connection then looks
  // silent and is replaced whenever silent ones are, which costs a reconnect and nothing else.
  const lastHeard = new Map<net.Socket, number>();
  let next = 0;
  return {
    open({ host, port, path }) {
      // Several hosts in the URL are tried in turn, as postgres.js does with its own sockets.
      const at = next++ % Math.max(1, host.length);
      const socket = path ? net.connect(path) : net.connect(port[at] ?? port[0] ?? 5432, host[at] ?? host[0] ?? "localhost");
      lastHeard.set(socket, Date.now());
      socket.on("data", () => lastHeard.set(socket, Date.now()));
      socket.once("close", () => lastHeard.delete(socket));
      return socket;
    },
    replaceSilent(since, why) {
      let replaced = 0;
      for (const [socket, heard] of lastHeard) {
        if (heard >= since) continue;
        lastHeard.delete(socket);
        socket.destroy(outageError("STATEMENT_TIMEOUT", `database connection replaced: ${why}`));
        replaced++;
      }
      return replaced;
    },
    get count() {
      return lastHeard.size;
    },
  };
}
