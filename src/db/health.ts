// The database's health for the rest of the server: a background probe (lib/health-monitor.ts) whose
// last answer /readyz reports and the chat use cases fail fast on; which errors are outages; and what
// an outage does to Postgres connections: those silent through it, or past the statement deadline,
// are replaced (pg-sockets.ts), since a half-open one would otherwise never answer again.
import { createHealthMonitor, type Health } from "../lib/health-monitor.ts";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "./database.ts";
import { outageCodeOf } from "./outage.ts";

export type DatabaseHealthOptions = {
  /** Time between probes. */
  intervalMs: number;
  /** A probe that takes longer counts as failed. */
  timeoutMs: number;
  /** The statement timeout: a connection silent longer while a call is overdue is replaced. */
  statementTimeoutMs: number;
};

/** Also the chat domain's StoreHealth port. */
export type DatabaseHealth = {
  /** False while the last probe failed. */
  available(): boolean;
  /** Whether `error` means the database could not answer; the first ones of an outage are logged and trigger a probe. */
  isOutage(error: unknown): boolean;
  /** A call got no answer within the deadline: replace silent connections, probe now. */
  overdue(): void;
  /** Calls `listener` when the database is next found unreachable; answers the unsubscribe. */
  onOutage(listener: () => void): () => void;
  current(): Health;
  /** Starts the background probes. */
  start(): void;
  stop(): void;
};

export function createDatabaseHealth(database: Pick<Database, "ping" | "replaceSilentConnections">, options: DatabaseHealthOptions, logger: Logger): DatabaseHealth {
  // The calls waiting on the database, failed at once when it is found unreachable.
  const waiting = new Set<() => void>();
  const monitor = createHealthMonitor({
    probe: (timeoutMs) => database.ping(timeoutMs),
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    onChange(current, previous) {
      if (!current.up) {
        const listeners = [...waiting];
        waiting.clear();
        for (const listener of listeners) listener();
        logger.error("database unreachable: requests fail with UNAVAILABLE until it answers again", { reason: current.reason });
        return;
      }
      // Connections that heard nothing since the outage was found may be half-open: new ones replace them.
      const replaced = database.replaceSilentConnections(previous.since, "silent through a database outage");
      logger.info("database reachable again", { unavailableMs: current.since - previous.since, connectionsReplaced: replaced });
    },
  });

  return {
    available: () => monitor.current().up,
    isOutage(error) {
      const code = outageCodeOf(error);
      if (code === undefined) return false;
      // Logged while the database still counts as up: the first failures of an outage say why it began.
      if (monitor.current().up) {
        logger.warn("database call failed", { code, error });
        void monitor.check();
      }
      return true;
    },
    overdue() {
      const why = `no answer within ${options.statementTimeoutMs} ms`;
      const replaced = database.replaceSilentConnections(Date.now() - options.statementTimeoutMs, why);
      if (replaced > 0) logger.warn("database connections replaced", { code: "STATEMENT_TIMEOUT", replaced, reason: why });
      void monitor.check();
    },
    onOutage(listener) {
      waiting.add(listener);
      return () => void waiting.delete(listener);
    },
    current: () => monitor.current(),
    start: () => monitor.start(),
    stop: () => monitor.stop(),
  };
}
