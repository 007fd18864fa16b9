// Bun macro (runs at bundle/transpile time): bundles the web app (client/main.ts, minified, for
// browsers) and reads its page, style and icon, so the server and the compiled binary serve them with
// nothing on disk. Each file comes with a content hash for its ETag.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type WebAsset = { body: string; type: string; etag: string };

const CLIENT = join(import.meta.dir, "client");
const STATIC_FILES = [
  ["index.html", "text/html; charset=utf-8"],
  ["styles.css", "text/css; charset=utf-8"],
  ["favicon.svg", "image/svg+xml"],
] as const;

function asset(body: string, type: string): WebAsset {
  return { body, type, etag: `"${Bun.hash(body).toString(36)}"` };
}

export function buildWebAssets(): Record<string, WebAsset> {
  // The bundler's CLI in a child process: Bun.build inside a macro would wait for the bundle that
  // runs this macro (`bun build --compile`), a deadlock Bun refuses.
  const build = Bun.spawnSync([process.execPath, "build", join(CLIENT, "main.ts"), "--target=browser", "--format=esm", "--minify"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (!build.success) throw new Error(`the web app did not build:\n${build.stderr.toString()}`);
  const assets: Record<string, WebAsset> = { "app.js": asset(build.stdout.toString(), "text/javascript; charset=utf-8") };
  for (const [name, type] of STATIC_FILES) assets[name] = asset(readFileSync(join(CLIENT, name), "utf8"), type);
  return assets;
}
