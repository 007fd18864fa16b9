// The HTTP servers a broadcast must go through. Bun topics belong to one server, and one engine
// may sit behind several (IPv4 + IPv6, two ports, a restart after stop): every server with an open
// WebSocket gets the publish; a server leaves the list when its last WebSocket closes (stop does that).
import type { HttpPort } from "./server.ts";

export class LivePorts {
  private readonly open = new Map<HttpPort, number>();
  /** The servers with WebSockets, as an array: iterated on every broadcast, rebuilt only on change. */
  list: readonly HttpPort[] = [];

  websocketOpened(port: HttpPort): void {
    const count = this.open.get(port) ?? 0;
    this.open.set(port, count + 1);
    if (count === 0) this.list = [...this.open.keys()];
  }

  websocketClosed(port: HttpPort): void {
    const count = this.open.get(port);
    if (count === undefined) return;
    if (count > 1) {
      this.open.set(port, count - 1);
      return;
    }
    this.open.delete(port);
    this.list = [...this.open.keys()];
  }
}
