// A dynamic namespace family (`io.of(/^\/room-\d+$/)` or `io.of((name, auth, next) => …)`): decides
// which names it accepts, creates each child on first use with the parent's handlers, and
// broadcasts to all of its children.
import { Namespace } from "./namespace.ts";
import type { RemoteSocket } from "./remote-socket.ts";
import type { Server } from "./server.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (error: Error | null, accept: boolean) => void,
) => void;

let parentCounter = 0;

export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  private readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    private readonly matcher: RegExp | NamespaceMatcher,
  ) {
    // Named like socket.io's parents; never reachable by a client CONNECT.
    super(server, `/_${parentCounter++}`);
  }

  accepts(name: string, auth: Record<string, unknown>, done: (accepted: boolean) => void): void {
    const matcher = this.matcher;
    if (matcher instanceof RegExp) {
      matcher.lastIndex = 0;
      done(matcher.test(name));
      return;
    }
    let answered = false;
    try {
      matcher(name, auth, (error, accept) => {
        if (answered) return;
        answered = true;
        done(!error && accept === true);
      });
    } catch {
      if (!answered) done(false);
      answered = true;
    }
  }

  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this.server, name);
    this.inheritInto(child);
    this.children.add(child);
    return child;
  }

  removeChild(child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): boolean {
    return this.children.delete(child);
  }

  override emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    for (const child of this.children) child.emit(event, ...args);
    return true;
  }

  override async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const all = await Promise.all([...this.children].map((child) => child.fetchSockets()));
    return all.flat();
  }
}
