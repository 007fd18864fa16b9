// Immutable broadcast targets: `to/in/except` rooms plus volatile/compress/local/timeout flags,
// ending in emit (fire-and-forget or collecting acks from every receiver) or a bulk operation.
import type { BroadcastOptions, Room } from "../adapter/types.ts";
import { invokeListener } from "./emitter.ts";
import type { Namespace } from "./namespace.ts";
import { RemoteSocket, remoteTarget } from "./remote-socket.ts";
import { RESERVED_EVENTS } from "./reserved-events.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

export type BroadcastFlagsState = { volatile?: boolean; compress?: boolean; local?: boolean; timeout?: number };

type BroadcastAck = (error: Error | null, responses: unknown[]) => void;

export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  constructor(
    // The namespace generics do not matter here: the operator only reaches its adapter and sockets.
    private readonly nsp: Namespace<EventsMap, EventsMap, EventsMap, SocketData>,
    private readonly rooms: ReadonlySet<Room> = new Set(),
    private readonly exceptRooms: ReadonlySet<Room> = new Set(),
    private readonly flags: BroadcastFlagsState = {},
  ) {}

  private with(rooms: ReadonlySet<Room>, exceptRooms: ReadonlySet<Room>, flags: BroadcastFlagsState) {
    return new BroadcastOperator<EmitEvents, SocketData>(this.nsp, rooms, exceptRooms, flags);
  }

  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.rooms);
    for (const r of typeof room === "string" ? [room] : room) rooms.add(r);
    return this.with(rooms, this.exceptRooms, this.flags);
  }

  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const exceptRooms = new Set(this.exceptRooms);
    for (const r of typeof room === "string" ? [room] : room) exceptRooms.add(r);
    return this.with(this.rooms, exceptRooms, this.flags);
  }

  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, compress });
  }

  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, volatile: true });
  }

  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, local: true });
  }

  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.with(this.rooms, this.exceptRooms, { ...this.flags, timeout: ms });
  }

  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    this.nsp.server.options.observer?.eventSent?.(event);
    const options = this.options();
    const last = data[data.length - 1];
    if (typeof last !== "function") {
      this.nsp.adapter.broadcast({ data }, options);
      return true;
    }
    data.pop();
    this.emitWithAcks(data, last as BroadcastAck, options);
    return true;
  }

  /** Resolves with every receiver's ack (rejects when the timeout passes first). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      (this.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...args, (error: Error | null, responses: unknown[]) =>
        error ? reject(error) : resolve(responses),
      );
    });
  }

  /**
   * One ack per receiver, on every node: each node reports its receiver count once (serverCount()
   * says how many nodes), and the callback runs when every node reported and every receiver answered.
   */
  private emitWithAcks(data: unknown[], callback: BroadcastAck, options: BroadcastOptions): void {
    const id = this.nsp.nextAckId();
    const responses: unknown[] = [];
    let expectedServers = -1;
    let reportedServers = 0;
    let expectedClients = 0;
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Receivers that never answered must not keep the callback alive (socket.io#4984).
      for (const socket of this.nsp.sockets.values()) socket.forgetAck(id);
      // The application's callback: a throw there (maybe from a timer) is reported, not raised.
      invokeListener(callback, [error, responses], "broadcast ack", this.nsp);
    };
    const check = () => {
      if (reportedServers === expectedServers && responses.length === expectedClients) finish(null);
    };
    const timer =
      this.flags.timeout === undefined
        ? undefined
        : setTimeout(() => finish(new Error("operation has timed out")), this.flags.timeout);
    this.nsp.adapter.broadcastWithAck(
      { data, id },
      options,
      (count) => {
        expectedClients += count;
        reportedServers++;
        check();
      },
      (...response: unknown[]) => {
        responses.push(response[0]);
        check();
      },
    );
    // Local-only broadcasts are answered by this node alone.
    if (this.flags.local) {
      expectedServers = 1;
      check();
      return;
    }
    this.nsp.adapter.serverCount().then(
      (count) => {
        expectedServers = count;
        check();
      },
      (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private options(): BroadcastOptions {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  /** The matching sockets on every node (RemoteSocket views, like socket.io's fetchSockets). */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const details = await this.nsp.adapter.fetchSockets(this.options());
    return details.map((detail) => {
      const local = this.nsp.sockets.get(detail.id);
      return new RemoteSocket<EmitEvents, SocketData>(local ?? remoteTarget<SocketData>(this.nsp, detail));
    });
  }

  socketsJoin(room: Room | readonly Room[]): void {
    this.nsp.adapter.addSockets(this.options(), typeof room === "string" ? [room] : room);
  }

  socketsLeave(room: Room | readonly Room[]): void {
    this.nsp.adapter.delSockets(this.options(), typeof room === "string" ? [room] : room);
  }

  disconnectSockets(close = false): void {
    this.nsp.adapter.disconnectSockets(this.options(), close);
  }
}
