// Event names the library uses itself: apps cannot emit them, and the parser refuses them from clients.
// `error` is not among them: a client may send it (CVE-2024-38355); the socket layer keeps it from handlers.
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
