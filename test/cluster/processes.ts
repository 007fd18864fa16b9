// Real processes for cluster tests and the cluster benchmark: app nodes as a user runs them
// (`bun src/main.ts`, child processes on port 0), a fresh Postgres database they share, and a
// free TCP port. Each is an async-disposable handle that kills or drops what it made.
import { join } from "node:path";
import { postgresOrSkip } from "../support/postgres-probe.ts";
import { createThrowawayPostgres } from "../support/throwaway-postgres.ts";

export const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
export const ADMIN_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** True when Postgres answers at `url` (else prints the one line saying why tests skip). */
export function postgresAvailable(suite: string, url = ADMIN_POSTGRES_URL): Promise<boolean> {
  return postgresOrSkip(suite, url);
}

export type FreshDatabase = { url: string; [Symbol.asyncDispose](): Promise<void> };

/** An empty database of its own on the Postgres at `adminUrl` (the nodes migrate it), dropped on dispose. */
export async function freshPostgresDatabase(prefix: string, adminUrl = ADMIN_POSTGRES_URL): Promise<FreshDatabase> {
  const own = await createThrowawayPostgres(adminUrl, `${prefix}_${process.pid}_${Date.now().toString(36)}`);
  return { url: own.url, [Symbol.asyncDispose]: own.drop };
}

export type AppNode = {
  url: string;
  port: number;
  pid: number;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * `bun src/main.ts` with `env` on 127.0.0.1 and a free port, resolved once it logs "listening on";
 * `prefix` puts a command first (e.g. `taskset -c 0`), `bunArgs` go to bun (e.g. a profiler's flags). Its later log goes to our stderr, so the pipe
 * never fills and a failing node explains itself. Dispose: SIGTERM, then SIGKILL after 5 s.
 */
export async function startAppNode(env: Record<string, string>, prefix: string[] = [], bunArgs: string[] = []): Promise<AppNode> {
  const child = Bun.spawn([...prefix, "bun", ...bunArgs, MAIN], {
    env: { ...process.env, LOG_LEVEL: "info", ...env, PORT: "0", HOST: "127.0.0.1" },
    stdout: "ignore",
    stderr: "pipe",
  });
  const stop = async () => {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.exited;
    clearTimeout(timer);
  };
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let port = 0;
  try {
    while (port === 0) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`node exited before listening:\n${seen}`);
      seen += decoder.decode(value, { stream: true });
      port = Number(/listening on http:\/\/[^:\s]+:(\d+)/.exec(seen)?.[1] ?? 0);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      process.stderr.write(value);
    }
  })();
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, [Symbol.asyncDispose]: stop };
}

/** A TCP port nothing listens on right now (the kernel's pick, released at once). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
