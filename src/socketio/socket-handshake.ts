// What `socket.handshake` shows: socket.io's handshake details, built from the engine's copy of
// the handshake request and the CONNECT packet's auth.
import type { EngineSession } from "../engine/types.ts";

export type Handshake = {
  headers: Record<string, string>;
  time: string;
  address: string;
  xdomain: boolean;
  secure: boolean;
  issued: number;
  url: string;
  query: Record<string, string>;
  auth: Record<string, unknown>;
};

export function handshakeView(conn: EngineSession, auth: Record<string, unknown>): Handshake {
  const request = conn.handshake;
  return {
    headers: request.headers,
    time: timeText(conn.issued),
    address: request.remoteAddress,
    xdomain: request.headers.origin !== undefined,
    secure: request.secure,
    issued: conn.issued,
    url: request.url,
    query: request.query,
    auth,
  };
}

// Date#toString has second resolution: the sockets that connect within one second share its text
// (a connection storm would otherwise keep a ~140 B copy per socket).
let lastTime = { second: Number.NaN, text: "" };
function timeText(issued: number): string {
  const second = Math.floor(issued / 1000);
  if (second !== lastTime.second) lastTime = { second, text: new Date(issued).toString() };
  return lastTime.text;
}
