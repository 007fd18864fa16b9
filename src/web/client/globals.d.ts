// The page loads the official client from /socket.io/socket.io.js (a classic script defining `io`);
// only its types come from the package, its code is never bundled twice.
import type { io as ioFunction } from "socket.io-client";

declare global {
  const io: typeof ioFunction;
}
