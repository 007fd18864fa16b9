// The Hono application: CORS from config, the routes, and the one place where thrown errors
// become the seed's JSON envelope (unknown errors are logged, never leaked to the client).
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { ChatServices } from "../chat/index.ts";
import { DomainError, RateLimitedError } from "../chat/errors.ts";
import { createAttemptLimiter } from "../lib/attempt-limiter.ts";
import { normalizeAddress } from "../lib/client-address.ts";
import type { Logger } from "../lib/logger.ts";
import { authRoutes } from "./auth-routes.ts";
import { dmRoutes } from "./dm-routes.ts";
import { errorEnvelope } from "./envelope.ts";
import { HttpError, STATUS_OF_DOMAIN_CODE } from "./errors.ts";
import { healthRoutes, type ReadinessCheck } from "./health.ts";
import { metricsRoutes, type MetricsEndpoint } from "./metrics-routes.ts";
import { roomRoutes } from "./room-routes.ts";
import { userRoutes } from "./user-routes.ts";

export type HttpDeps = {
  frontendOrigins: string[];
  /** What /readyz reports: read at once, never waiting on the database. */
  readiness: ReadinessCheck;
  logger: Logger;
  chat: ChatServices;
  /** Proxies whose X-Forwarded-For names the client (README "Limits"). */
  trustedProxies: readonly string[];
  limits: { loginFailuresPerAccount: number; loginFailuresPerAddress: number; loginFailureWindowMs: number };
  /** GET /metrics on this app; undefined when it is served on a listener of its own (METRICS_PORT). */
  metrics?: MetricsEndpoint;
};

// REST bodies are small JSON documents; anything bigger is refused before it is read.
const MAX_BODY_BYTES = 64 * 1024;

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.use(
    "*",
    cors({
      // An explicit allow-list, never "*" (credentials are allowed).
      origin: (origin) => (deps.frontendOrigins.includes(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
    }),
  );
  app.use(
    "/api/*",
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json(errorEnvelope("Request body too large", "PAYLOAD_TOO_LARGE"), 413) }),
  );
  app.route("/", healthRoutes(deps.readiness));
  if (deps.metrics) app.route("/", metricsRoutes(deps.metrics));
  const windowMs = deps.limits.loginFailureWindowMs;
  app.route(
    "/api/auth",
    authRoutes(deps.chat, {
      accounts: createAttemptLimiter({ max: deps.limits.loginFailuresPerAccount, windowMs }),
      addresses: createAttemptLimiter({ max: deps.limits.loginFailuresPerAddress, windowMs }),
      trustedProxies: new Set(deps.trustedProxies.map(normalizeAddress)),
    }),
  );
  app.route("/api/users", userRoutes(deps.chat));
  app.route("/api/rooms", roomRoutes(deps.chat));
  app.route("/api/dms", dmRoutes(deps.chat));
  app.notFound((c) => c.json(errorEnvelope("Route not found", "NOT_FOUND"), 404));
  app.onError((error, c) => {
    if (error instanceof DomainError) {
      if (error instanceof RateLimitedError) c.header("Retry-After", String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      // UNAVAILABLE: the database is unreachable or the server is closing; worth another try soon.
      if (error.code === "UNAVAILABLE") c.header("Retry-After", "1");
      return c.json(errorEnvelope(error.message, error.code), STATUS_OF_DOMAIN_CODE[error.code]);
    }
    if (error instanceof HttpError) return c.json(errorEnvelope(error.message, error.code), error.status);
    if (error instanceof HTTPException) {
      // Hono's own errors keep their status.
      return c.json(errorEnvelope(error.message || "Bad request", "BAD_REQUEST"), error.status);
    }
    deps.logger.error("unhandled error in HTTP handler", { path: c.req.path, error });
    return c.json(errorEnvelope("Internal server error", "INTERNAL"), 500);
  });
  return app;
}
