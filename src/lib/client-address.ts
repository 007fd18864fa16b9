// The address a request comes from: the socket's peer, unless that peer is a proxy the operator
// trusts (TRUST_PROXY), in which case X-Forwarded-For is read from the right, skipping trusted
// proxies, and the first address not trusted is the client. A client can write anything into that
// header; only the part appended by trusted proxies is believed.

/** Canonical text of an IP address as a socket reports it (IPv4-mapped IPv6 becomes IPv4). */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().toLowerCase();
  return trimmed.startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice(7) : trimmed;
}

export function clientAddress(peer: string, forwardedFor: string | null | undefined, trustedProxies: ReadonlySet<string>): string {
  const address = normalizeAddress(peer);
  if (!trustedProxies.has(address) || !forwardedFor) return address;
  const hops = forwardedFor.split(",").map(normalizeAddress).filter((hop) => hop !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.has(hop)) return hop;
  }
  // Every hop is a trusted proxy: the leftmost is as close to the client as we can tell.
  return hops[0] ?? address;
}
