// The one place the Engine.IO layer touches Bun: adapts Bun.serve's fetch and websocket
// handlers to EngineServer, with WebSocket limits taken from the engine's options.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { EngineServer, HttpPort, WsData } from "./server.ts";

export type FallbackFetch = (request: Request, server: Server<WsData>) => Response | Promise<Response>;

export type BunEngineHandler = {
  fetch: (request: Request, server: Server<WsData>) => Response | undefined | Promise<Response | undefined>;
  websocket: WebSocketHandler<WsData>;
};

function portOf(server: Server<WsData>): HttpPort {
  return {
    upgrade: (request, data) => server.upgrade(request, { data }),
    requestIP: (request) => server.requestIP(request)?.address,
    disableTimeout: (request) => server.timeout(request, 0),
    publish: (topic, frame) => void server.publish(topic, frame),
  };
}

/** `Bun.serve({ ...bunEngineHandler(engine, fallback) })`: engine paths to the engine, the rest to fallback. */
export function bunEngineHandler(engine: EngineServer, fallback?: FallbackFetch): BunEngineHandler {
  // One port per Bun server, kept for its life: the engine tells servers apart by their port.
  const ports = new WeakMap<Server<WsData>, HttpPort>();
  // The last one seen, so the usual request (one server) costs a comparison, not a lookup.
  let lastServer: Server<WsData> | undefined;
  let lastPort: HttpPort | undefined;
  const notFound = () => new Response("Not Found", { status: 404 });
  return {
    fetch(request, server) {
      const pathname = pathOf(request.url);
      if (!engine.matches(pathname)) return fallback ? fallback(request, server) : notFound();
      if (server !== lastServer || !lastPort) {
        lastPort = ports.get(server);
        if (!lastPort) ports.set(server, (lastPort = portOf(server)));
        lastServer = server;
      }
      return engine.handleRequest(request, lastPort);
    },
    websocket: {
      open: (ws: ServerWebSocket<WsData>) => engine.websocketOpened(ws, ws.data),
      message: (ws: ServerWebSocket<WsData>, message: string | Buffer) => engine.websocketMessage(ws, ws.data, message),
      close: (ws: ServerWebSocket<WsData>, code: number) => engine.websocketClosed(ws, ws.data, code),
      drain: (ws: ServerWebSocket<WsData>) => engine.websocketDrained(ws.data),
      // Frames over maxHttpBufferSize are refused by Bun itself with close code 1009.
      maxPayloadLength: engine.options.maxHttpBufferSize,
      backpressureLimit: engine.options.backpressureLimit,
      // Over the limit a subscriber would silently miss published frames: close it instead.
      closeOnBackpressureLimit: true,
      // Liveness is the Engine.IO heartbeat's job (WebSocket-level pings do not count for clients).
      idleTimeout: 0,
      sendPings: false,
      perMessageDeflate: false,
    },
  };
}

/** The path of a request URL without building a URL object (hot for every request). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.indexOf("?", start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
}

/** Starts a Bun server for a handler (what `io.listen(port)` uses). */
export function serveOnBun(handler: BunEngineHandler, port: number, hostname?: string): Server<WsData> {
  return Bun.serve({ port, ...(hostname ? { hostname } : {}), ...handler });
}
