// What fetchSockets() hands out: a detached view of a socket (id, handshake, rooms, data) with the
// operations socket.io's RemoteSocket allows, so code works the same under a cluster adapter.
import type { Room, SocketDetails, SocketId } from "../adapter/types.ts";
import type { Namespace } from "./namespace.ts";
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

/**
 * A socket of another node, known from the details it sent: every operation is a broadcast or a
 * bulk operation aimed at its own room, which the adapter carries to the node that holds it.
 */
export function remoteTarget<SocketData>(nsp: Namespace<EventsMap, EventsMap, EventsMap, SocketData>, details: SocketDetails): RemoteTarget<SocketData> {
  const id = details.id;
  const emit = (event: string, ...args: unknown[]) => (nsp.to(id).emit as (event: string, ...rest: unknown[]) => boolean)(event, ...args);
  return {
    id,
    handshake: handshakeOf(details.handshake),
    rooms: new Set(details.rooms),
    data: details.data as SocketData,
    join: (rooms) => nsp.in(id).socketsJoin(rooms),
    leave: (room) => nsp.in(id).socketsLeave(room),
    disconnect: (close) => nsp.in(id).disconnectSockets(close),
    timeout: (ms) => ({
      emit: (event, ...args) => (nsp.to(id).timeout(ms).emit as (event: string, ...rest: unknown[]) => boolean)(event, ...args),
    }),
    emit: emit as RemoteTarget<SocketData>["emit"],
  };
}

/** Another node's handshake as sent (a socket.io node sends the same fields); absent ones get empty values. */
function handshakeOf(value: unknown): Handshake {
  const given = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const record = (v: unknown) => (typeof v === "object" && v !== null ? v : {});
  return {
    headers: record(given.headers) as Record<string, string>,
    time: typeof given.time === "string" ? given.time : "",
    address: typeof given.address === "string" ? given.address : "",
    xdomain: given.xdomain === true,
    secure: given.secure === true,
    issued: typeof given.issued === "number" ? given.issued : 0,
    url: typeof given.url === "string" ? given.url : "",
    query: record(given.query) as Record<string, string>,
    auth: record(given.auth) as Record<string, unknown>,
  };
}
