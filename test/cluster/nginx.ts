// A real nginx in front of app nodes, configured from the site file README ships (docs/nginx.conf):
// its upstream servers and listen port replaced, wrapped in a main config whose pid, logs and
// temporary files live in a temp dir of its own, run in the foreground as a child process.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./processes.ts";

export const NGINX_SITE = join(import.meta.dir, "..", "..", "docs", "nginx.conf");

/** The nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH), or undefined. */
export function findNginx(): string | undefined {
  return Bun.which("nginx") ?? (existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : undefined);
}

const UPSTREAM_SERVER = /^([ \t]*)server 127\.0\.0\.1:\d+;\n/gm;
const LISTEN = /^([ \t]*)listen 80;$/m;

const IP_HASH = /^[ \t]*ip_hash;\n/m;

export type SiteOptions = { ports: number[]; listenPort: number; /** Drop `ip_hash` (nginx's default round robin), to show what it is for. */ withoutIpHash?: boolean };

/** The site file with `ports` as its upstream servers and nginx listening on 127.0.0.1:`listenPort`. */
export function siteFor(template: string, { ports, listenPort, withoutIpHash = false }: SiteOptions): string {
  const servers = [...template.matchAll(UPSTREAM_SERVER)];
  const first = servers[0];
  if (!first || !LISTEN.test(template) || !IP_HASH.test(template)) {
    throw new Error(`${NGINX_SITE} no longer has "ip_hash;", "server 127.0.0.1:<port>;" upstream lines and "listen 80;"`);
  }
  const indent = first[1] ?? "";
  let replaced = false;
  return template
    .replace(UPSTREAM_SERVER, () => {
      if (replaced) return "";
      replaced = true;
      return ports.map((port) => `${indent}server 127.0.0.1:${port};\n`).join("");
    })
    .replace(LISTEN, (_line, space: string) => `${space}listen 127.0.0.1:${listenPort};`)
    .replace(IP_HASH, (line) => (withoutIpHash ? "" : line));
}

/** A main configuration around `site` with everything nginx writes under `dir`. */
export function mainConfig(site: string, dir: string): string {
  return [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    "worker_processes 1;",
    "events { worker_connections 4096; }",
    "http {",
    `  access_log ${dir}/access.log;`,
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    site,
    "}",
    "",
  ].join("\n");
}

export type Nginx = { url: string; dir: string; [Symbol.asyncDispose](): Promise<void> };

/** nginx from docs/nginx.conf in front of `ports`, resolved once a request reaches a node through it. */
export async function startNginx(executable: string, ports: number[], options: { withoutIpHash?: boolean } = {}): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), "studyconnect-nginx-"));
  // Started as root, nginx's workers run as "nobody" and must reach their temporary directories.
  chmodSync(dir, 0o755);
  const port = freePort();
  const file = join(dir, "nginx.conf");
  writeFileSync(file, mainConfig(siteFor(readFileSync(NGINX_SITE, "utf8"), { ports, listenPort: port, ...options }), dir));
  const child = Bun.spawn([executable, "-p", dir, "-e", join(dir, "error.log"), "-c", file, "-g", "daemon off;"], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill("SIGQUIT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when /readyz answers through it; an nginx that exits (bad config, port taken) says why.
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const why = await new Response(child.stderr).text();
      const log = existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : "";
      await stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${why}${log}`);
    }
    const status = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`nginx on ${url} did not pass /readyz through within 10 s (last status ${status})`);
    }
    await Bun.sleep(50);
  }
  return { url, dir, [Symbol.asyncDispose]: stop };
}
