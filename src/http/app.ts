// The Hono application: CORS from config, the routes, and the one place where thrown errors
// become the seed's JSON envelope (unknown errors are logged, never leaked to the client).
import { Hono } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../lib/logger.ts";
import { errorEnvelope, HttpError } from "./errors.ts";
import { healthRoutes, type ReadinessCheck } from "./health.ts";

export type HttpDeps = {
  frontendOrigins: string[];
  checkReady: ReadinessCheck;
  logger: Logger;
};

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
  app.route("/", healthRoutes(deps.checkReady));
  app.notFound((c) => c.json(errorEnvelope("Route not found", "NOT_FOUND"), 404));
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(errorEnvelope(error.message, error.code), error.status);
    if (error instanceof HTTPException) {
      // Hono's own errors (e.g. malformed JSON body) keep their status.
      return c.json(errorEnvelope(error.message || "Bad request", "BAD_REQUEST"), error.status);
    }
    deps.logger.error("unhandled error in HTTP handler", { path: c.req.path, error });
    return c.json(errorEnvelope("Internal server error", "INTERNAL"), 500);
  });
  return app;
}
