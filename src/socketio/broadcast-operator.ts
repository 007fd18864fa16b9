// Immutable broadcast targets: `to/in/except` rooms plus volatile/compress/local/timeout flags,
// ending in emit (fire-and-forget or collecting acks from every receiver) or a bulk operation.
import type { Room } from "../adapter/types.ts";
import { invokeListener } from "./emitter.ts";
import type { Namespace } from "./namespace.ts";
import { RemoteSocket } from "./remote-socket.ts";
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
    const options = { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
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

  private emitWithAcks(
    data: unknown[],
    callback: BroadcastAck,
    options: { rooms: ReadonlySet<Room>; except: ReadonlySet<Room>; flags: BroadcastFlagsState },
  ): void {
    const id = this.nsp.nextAckId();
    const responses: unknown[] = [];
    let expected = -1;
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
    const timer =
      this.flags.timeout === undefined
        ? undefined
        : setTimeout(() => finish(new Error("operation has timed out")), this.flags.timeout);
    this.nsp.adapter.broadcastWithAck(
      { data, id },
      options,
      (count) => {
        expected = count;
        if (responses.length === expected) finish(null);
      },
      (...response: unknown[]) => {
        responses.push(response[0]);
        if (responses.length === expected) finish(null);
      },
    );
  }

  /** The matching sockets (RemoteSocket views, like socket.io's fetchSockets). */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const ids = this.nsp.adapter.matchingSockets({ rooms: this.rooms, except: this.exceptRooms });
    const out: RemoteSocket<EmitEvents, SocketData>[] = [];
    for (const id of ids) {
      const socket = this.nsp.sockets.get(id);
      if (socket) out.push(new RemoteSocket<EmitEvents, SocketData>(socket));
    }
    return out;
  }

  socketsJoin(room: Room | readonly Room[]): void {
    for (const socket of this.matching()) socket.join(typeof room === "string" ? room : [...room]);
  }

  socketsLeave(room: Room | readonly Room[]): void {
    for (const socket of this.matching()) for (const r of typeof room === "string" ? [room] : room) socket.leave(r);
  }

  disconnectSockets(close = false): void {
    for (const socket of this.matching()) socket.disconnect(close);
  }

  private matching() {
    const ids = this.nsp.adapter.matchingSockets({ rooms: this.rooms, except: this.exceptRooms });
    return ids.flatMap((id) => {
      const socket = this.nsp.sockets.get(id);
      return socket ? [socket] : [];
    });
  }
}
