// The client address of a REST request: Bun.serve hands Hono its server as the environment, which
// knows each request's peer; behind a trusted proxy, X-Forwarded-For names the client instead.
import type { Context } from "hono";
import { clientAddress } from "../lib/client-address.ts";

type PeerSource = { requestIP?(request: Request): { address: string } | null };

export function requestAddress(c: Context, trustedProxies: ReadonlySet<string>): string {
  const server: unknown = c.env;
  const requestIP = typeof server === "object" && server !== null ? (server as PeerSource).requestIP : undefined;
  // Served without a Bun server (app.fetch in a test): no peer to name.
  const peer = requestIP?.call(server, c.req.raw)?.address ?? "unknown";
  return clientAddress(peer, c.req.header("x-forwarded-for"), trustedProxies);
}
