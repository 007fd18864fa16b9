// What is kept of a handshake request once it is answered (never the Request itself: holding it
// for a session's life is a classic leak). The query object is only built when someone reads it.
import type { HandshakeRequest } from "./types.ts";

export class HandshakeInfo implements HandshakeRequest {
  private parsedQuery: Record<string, string> | undefined;

  constructor(
    readonly method: string,
    /** Path and query string, e.g. "/socket.io/?EIO=4&transport=websocket". */
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly remoteAddress: string,
    readonly secure: boolean,
  ) {}

  get query(): Record<string, string> {
    if (!this.parsedQuery) {
      const start = this.url.indexOf("?");
      this.parsedQuery = Object.fromEntries(new URLSearchParams(start === -1 ? "" : this.url.slice(start + 1)));
    }
    return this.parsedQuery;
  }
}

/** The handshake details of a request, copied out of it. */
export function handshakeOf(request: Request, remoteAddress: string | undefined): HandshakeInfo {
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  return new HandshakeInfo(
    request.method,
    pathStart === -1 ? "/" : ownCopy(url.slice(pathStart)),
    Object.fromEntries(request.headers),
    remoteAddress ?? "",
    url.startsWith("https:") || url.startsWith("wss:"),
  );
}

/** A string that shares no storage with `text`'s source: a slice keeps the whole URL alive for the
 *  session's life otherwise. */
function ownCopy(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}
