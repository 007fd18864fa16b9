// Event names the library uses itself: apps cannot emit them, and the parser refuses them from clients.
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);
