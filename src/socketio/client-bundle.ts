// Serves the official browser client (socket.io-client's dist files) under `<path>/`, as
// socket.io's `serveClient` does: ETag from the client's version, 304 on a match.
import { readClientFiles } from "./client-files.ts" with { type: "macro" };

const bundle = readClientFiles();
const ETAG = `"${bundle.version}"`;

/** The client file this request names under `basePath` (ending in "/"), or undefined. */
export function serveClientFile(request: Request, basePath: string): Response | undefined {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(basePath)) return undefined;
  const name = url.pathname.slice(basePath.length);
  if (!Object.hasOwn(bundle.files, name)) return undefined;
  const body = bundle.files[name] as string;
  const type = name.endsWith(".map") ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8";
  const headers = { "cache-control": "public, max-age=0", etag: ETAG, "content-type": type };
  if (request.headers.get("if-none-match") === ETAG) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}
