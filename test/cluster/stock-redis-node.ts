// A stock socket.io Server with @socket.io/redis-adapter (run under Bun in this process) on the
// cluster of `key`: the other side of the mixed-cluster tests.
import { createAdapter } from "@socket.io/redis-adapter";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as StockServer } from "socket.io";
import { stockNode, type StockNode } from "./interop-scenarios.ts";
import { redisClient } from "./support.ts";

/** socket.io's own Server and Redis adapter, listening to the bus before it is handed out. */
export async function startStock(key: string, setup: (io: StockServer) => void = () => {}): Promise<StockNode> {
  const pub = redisClient();
  const sub = redisClient();
  const http = createServer();
  const io = new StockServer(http, { adapter: createAdapter(pub, sub, { key, requestsTimeout: 2000 }) });
  setup(io);
  // Commands on one connection run in order: once a PING is answered, the adapter's subscriptions are in place.
  await sub.ping();
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return stockNode(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`, () => {
    pub.disconnect();
    sub.disconnect();
  });
}
