// The built-in web app over HTTP: GET / and its files come from the server (and so from the binary)
// with a strict Content-Security-Policy and ETags; everything else still reaches the REST API.
import { describe, expect, test } from "bun:test";
import { startTestServer } from "../support/server.ts";

describe("the web app's files", () => {
  test("GET / is the page: same-origin scripts only, no inline script, the official client from /socket.io", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await response.text();
    expect(html).toContain('<script src="/socket.io/socket.io.min.js" defer></script>');
    expect(html).toContain('<script src="/app.js" type="module"></script>');
    // Every script has a src: nothing inline for the policy to allow.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    expect((await fetch(`${server.url}/socket.io/socket.io.min.js`)).status).toBe(200);
  });

  test("the script, style and icon are served with their types; an unchanged file answers 304", async () => {
    await using server = await startTestServer();
    const script = await fetch(`${server.url}/app.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await script.text();
    // The bundle is built from src/web/client: it reads the session and talks to the public API.
    expect(code).toContain("/api/rooms");
    expect(code).toContain("studyconnect.session");
    const etag = script.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-z]+"$/);
    const again = await fetch(`${server.url}/app.js`, { headers: { "if-none-match": etag ?? "" } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await fetch(`${server.url}/app.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await fetch(`${server.url}/favicon.svg`)).headers.get("content-type")).toBe("image/svg+xml");
  });

  test("other paths and methods still reach the REST API", async () => {
    await using server = await startTestServer();
    const post = await fetch(`${server.url}/`, { method: "POST" });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ success: false, message: "Route not found", error: "NOT_FOUND" });
    expect((await fetch(`${server.url}/app.js.map`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
