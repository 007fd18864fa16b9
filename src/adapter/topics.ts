// Bun topic names for the adapter's fan-out. Only adapters name topics: the namespace asks its
// adapter to attach a socket, so a cluster adapter can change the scheme without touching it.

/**
 * Topic names carry the namespace, so rooms of the same name in two namespaces never mix. The
 * namespace's length prefixes it: no choice of names (NUL included) makes two pairs collide.
 */
export function namespaceTopic(namespace: string): string {
  return `n${namespace}`;
}

export function roomTopic(namespace: string, room: string): string {
  return `r${namespace.length}:${namespace}${room}`;
}
