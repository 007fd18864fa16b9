// GET /metrics: the Prometheus scrape endpoint. With a token configured it answers only a request
// carrying `Authorization: Bearer <token>` (compared in constant time); without one it is open.
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { errorEnvelope } from "./envelope.ts";

export type MetricsEndpoint = {
  /** The current figures in the text format, and its content type. */
  render(): string;
  contentType: string;
  /** Undefined: no authentication (README "Metrics" says when that is fine). */
  token: string | undefined;
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Digests are compared, so neither a length difference nor the first differing byte shows in the timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function authorizedForMetrics(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  return given !== undefined && sameSecret(given, token);
}

export function metricsRoutes(endpoint: MetricsEndpoint): Hono {
  const routes = new Hono();
  routes.get("/metrics", (c) => {
    if (!authorizedForMetrics(c.req.header("authorization"), endpoint.token)) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      return c.json(errorEnvelope("A valid bearer token is required", "UNAUTHORIZED"), 401);
    }
    return c.body(endpoint.render(), 200, { "Content-Type": endpoint.contentType, "Cache-Control": "no-store" });
  });
  return routes;
}

/** The app for a listener of its own (METRICS_PORT): /metrics and nothing else. */
export function metricsApp(endpoint: MetricsEndpoint): Hono {
  const app = metricsRoutes(endpoint);
  app.notFound((c) => c.json(errorEnvelope("Route not found", "NOT_FOUND"), 404));
  return app;
}
