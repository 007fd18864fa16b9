// A dynamic namespace family (`io.of(/^\/room-\d+$/)` or `io.of((name, auth, next) => …)`): decides
// which names it accepts, creates each child on first use with the parent's handlers, and
// broadcasts to all of its children.
import { ParentAdapter } from "../adapter/parent-adapter.ts";
import { Namespace } from "./namespace.ts";
import type { RemoteSocket } from "./remote-socket.ts";
import type { Server } from "./server.ts";
import type { DefaultEventsMap, EventsMap } from "./typed-events.ts";

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
  private readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    private readonly matcher: RegExp | NamespaceMatcher,
  ) {
    const children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
    // Named like socket.io's parents; never reachable by a client CONNECT.
    super(server, `/_${parentCounter++}`, new ParentAdapter(() => children));
    this.children = children;
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

  override async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const all = await Promise.all([...this.children].map((child) => child.fetchSockets()));
    return all.flat();
  }
}
