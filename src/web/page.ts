// Serves the built-in web app at GET / (and its script, style and icon) with a Content-Security-Policy
// that allows only this origin's scripts, styles and connections: no inline script, no framing. The
// files are loaded on the first request for one (assets-data.ts).
const FILES: ReadonlyMap<string, string> = new Map([
  ["/", "index.html"],
  ["/index.html", "index.html"],
  ["/app.js", "app.js"],
  ["/app.css", "styles.css"],
  ["/favicon.svg", "favicon.svg"],
]);

// connect-src 'self' covers the same origin's ws:/wss: in CSP Level 3 browsers.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

let data: Promise<typeof import("./assets-data.ts")> | undefined;

/** The web app's answer to this request, or undefined when it is not one of its files. */
export function serveWebApp(request: Request): Promise<Response> | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const name = FILES.get(new URL(request.url).pathname);
  if (name === undefined) return undefined;
  const ifNoneMatch = request.headers.get("if-none-match");
  return (data ??= import("./assets-data.ts")).then(({ assets }) => {
    const file = assets[name];
    if (file === undefined) return new Response("Not found", { status: 404 });
    const headers = {
      "content-type": file.type,
      etag: file.etag,
      // Revalidated every time: a new server version is picked up at once, and an unchanged file costs a 304.
      "cache-control": "no-cache",
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    };
    if (ifNoneMatch === file.etag) return new Response(null, { status: 304, headers });
    return new Response(request.method === "HEAD" ? null : file.body, { headers });
  });
}
