// Liveness and readiness probes: /healthz answers while the process is up; /readyz only when the
// database answers and its schema is migrated (what a load balancer should route on).
import { Hono } from "hono";

export type ReadinessCheck = () => Promise<{ ready: true } | { ready: false; reason: string }>;

export function healthRoutes(checkReady: ReadinessCheck): Hono {
  const routes = new Hono();
  routes.get("/healthz", (c) => c.json({ status: "ok" }));
  routes.get("/readyz", async (c) => {
    const result = await checkReady().catch((error: unknown) => ({
      ready: false as const,
      reason: error instanceof Error ? error.message : "readiness check failed",
    }));
    return result.ready ? c.json({ status: "ready" }) : c.json({ status: "not ready", reason: result.reason }, 503);
  });
  return routes;
}
