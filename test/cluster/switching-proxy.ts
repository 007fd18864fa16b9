// A WebSocket front that forwards each connection to the node it currently points at, as a load
// balancer does: repointing it sends a reconnecting client to another node with its own Manager.
type Link = { path: string; upstream?: WebSocket; queued: (string | ArrayBuffer | Uint8Array)[] };

export type SwitchingProxy = {
  url: string;
  /** The node new connections go to; undefined refuses them (the client keeps retrying). */
  target: string | undefined;
  [Symbol.asyncDispose](): Promise<void>;
};

export function switchingProxy(initial: string): SwitchingProxy {
  const state: { target: string | undefined } = { target: initial };
  const server = Bun.serve<Link>({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request, srv) {
      const url = new URL(request.url);
      if (state.target === undefined) return new Response("no node", { status: 503 });
      if (srv.upgrade(request, { data: { path: `${url.pathname}${url.search}`, queued: [] } })) return undefined;
      return new Response("websocket only", { status: 400 });
    },
    websocket: {
      open(ws) {
        const target = state.target;
        if (target === undefined) {
          ws.close();
          return;
        }
        const upstream = new WebSocket(`${target.replace(/^http/, "ws")}${ws.data.path}`);
        upstream.binaryType = "arraybuffer";
        ws.data.upstream = upstream;
        upstream.onopen = () => {
          for (const message of ws.data.queued) upstream.send(message);
          ws.data.queued = [];
        };
        upstream.onmessage = (event: MessageEvent<string | ArrayBuffer>) => ws.send(event.data);
        upstream.onclose = () => ws.close();
      },
      message(ws, message) {
        const upstream = ws.data.upstream;
        if (upstream?.readyState === WebSocket.OPEN) upstream.send(message);
        else ws.data.queued.push(message);
      },
      close(ws) {
        ws.data.upstream?.close();
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    get target() {
      return state.target;
    },
    set target(value) {
      state.target = value;
    },
    async [Symbol.asyncDispose]() {
      await server.stop(true);
    },
  };
}
