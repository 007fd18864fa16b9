// What fetchSockets() hands out: a detached view of a socket (id, handshake, rooms, data) with the
// operations socket.io's RemoteSocket allows, so code works the same under a cluster adapter.
import type { Room, SocketId } from "../adapter/types.ts";
import type { Handshake } from "./socket.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "./typed-events.ts";

/** The parts of a local Socket a RemoteSocket drives. */
export interface RemoteTarget<SocketData> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  data: SocketData;
  join(rooms: Room | Room[]): void;
  leave(room: Room): void;
  disconnect(close?: boolean): unknown;
  timeout(ms: number): { emit(event: string, ...args: unknown[]): boolean };
  emit(event: string, ...args: never[]): boolean;
}

export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;

  constructor(private readonly target: RemoteTarget<SocketData>) {
    this.id = target.id;
    this.handshake = target.handshake;
    this.rooms = target.rooms;
    this.data = target.data;
  }

  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return (this.target.emit as (event: string, ...rest: unknown[]) => boolean)(event, ...args);
  }

  timeout(ms: number): { emit(event: string, ...args: unknown[]): boolean } {
    return this.target.timeout(ms);
  }

  join(rooms: Room | Room[]): void {
    this.target.join(rooms);
  }

  leave(room: Room): void {
    this.target.leave(room);
  }

  disconnect(close = false): this {
    this.target.disconnect(close);
    return this;
  }
}
