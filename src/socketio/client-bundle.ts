// Serves the official browser client (socket.io-client's dist files) under `<path>/`, as
// socket.io's `serveClient` does: ETag from the client's version, 304 on a match. The files
// themselves are loaded on the first request for one (client-bundle-data.ts).
import { CLIENT_FILE_NAMES } from "./client-files.ts";

const NAMES: ReadonlySet<string> = new Set(CLIENT_FILE_NAMES);

let data: Promise<typeof import("./client-bundle-data.ts")> | undefined;

/** The client file this request names under `basePath` (ending in "/"), or undefined. */
export function serveClientFile(request: Request, basePath: string): Promise<Response> | undefined {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(basePath)) return undefined;
  const name = url.pathname.slice(basePath.length);
  if (!NAMES.has(name)) return undefined;
  const ifNoneMatch = request.headers.get("if-none-match");
  return (data ??= import("./client-bundle-data.ts")).then(({ bundle }) => {
    const etag = `"${bundle.version}"`;
    const type = name.endsWith(".map") ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8";
    const headers = { "cache-control": "public, max-age=0", etag, "content-type": type };
    if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
    return new Response(bundle.files[name] ?? "", { headers });
  });
}
