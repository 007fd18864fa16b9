// Liveness and readiness probes: /healthz answers while the process is up; /readyz only while the
// database answers (what a load balancer should route on). Readiness is read, never computed here:
// the database is probed in the background, so /readyz answers at once whatever the database does.
import { Hono } from "hono";

export type Readiness = { ready: true } | { ready: false; reason: string };
export type ReadinessCheck = () => Readiness;

export function healthRoutes(readiness: ReadinessCheck): Hono {
  const routes = new Hono();
  routes.get("/healthz", (c) => c.json({ status: "ok" }));
  routes.get("/readyz", (c) => {
    const result = readiness();
    return result.ready ? c.json({ status: "ready" }) : c.json({ status: "not ready", reason: result.reason }, 503);
  });
  return routes;
}
