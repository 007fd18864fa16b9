// The inter-node protocol of socket.io's Redis adapter (@socket.io/redis-adapter 8): request types,
// channel names, node and request ids, and decoders that turn bus bytes into checked values.
import { decode as msgpackDecode } from "notepack.io-3";
import type { BroadcastFlags, BroadcastOptions, Room, SocketDetails } from "./types.ts";

/** Request (and response) types, numbered as the official adapter numbers them. */
export const RequestType = {
  SOCKETS: 0,
  ALL_ROOMS: 1,
  REMOTE_JOIN: 2,
  REMOTE_LEAVE: 3,
  REMOTE_DISCONNECT: 4,
  REMOTE_FETCH: 5,
  SERVER_SIDE_EMIT: 6,
  BROADCAST: 7,
  BROADCAST_CLIENT_COUNT: 8,
  BROADCAST_ACK: 9,
} as const;

/** Socket.IO packet types a broadcast may carry (EVENT, BINARY_EVENT). */
export const EVENT = 2;
const BINARY_EVENT = 5;

export type ClusterChannels = {
  /** Broadcasts: `<key>#<nsp>#`, or `<key>#<nsp>#<room>#` when aimed at exactly one room. */
  broadcast: string;
  request: string;
  response: string;
  /** Responses for this node only (when a node asks for them with publishOnSpecificResponseChannel). */
  specificResponse: string;
};

export function channelsFor(key: string, namespace: string, uid: string): ClusterChannels {
  const response = `${key}-response#${namespace}#`;
  return {
    broadcast: `${key}#${namespace}#`,
    request: `${key}-request#${namespace}#`,
    response,
    specificResponse: `${response}${uid}#`,
  };
}

const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A 6-character id from the same alphabet as the official adapter's (node uids, request ids). */
export function shortId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let id = "";
  for (const byte of bytes) id += ID_CHARS[byte % ID_CHARS.length];
  return id;
}

/** Options as they cross the bus (rooms and except as arrays). */
export type WireOptions = { rooms: Room[]; except: Room[]; flags?: BroadcastFlags };

export function wireOptions(options: BroadcastOptions): WireOptions {
  const wire: WireOptions = { rooms: [...options.rooms], except: [...(options.except ?? [])] };
  const flags = options.flags;
  if (flags) {
    const given: BroadcastFlags = {};
    if (flags.volatile !== undefined) given.volatile = flags.volatile;
    if (flags.compress !== undefined) given.compress = flags.compress;
    if (flags.timeout !== undefined) given.timeout = flags.timeout;
    wire.flags = given;
  }
  return wire;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export type BusRecord = Record<string, unknown>;

const isRecord = (value: unknown): value is BusRecord => typeof value === "object" && value !== null && !Array.isArray(value);

/** A request or response body: JSON when it starts with "{", MessagePack otherwise (as the official adapter reads them). */
export function decodeBody(bytes: Uint8Array): Decoded<BusRecord> {
  let value: unknown;
  try {
    value = bytes[0] === 0x7b ? JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) : msgpackDecode(bytes);
  } catch {
    return { ok: false, error: "malformed body" };
  }
  return isRecord(value) ? { ok: true, value } : { ok: false, error: "body is not an object" };
}

/** Rooms as sent: socket.io rooms are strings, an emitter may send numbers. Anything else: undefined. */
export function roomsOf(value: unknown): Room[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const rooms: Room[] = [];
  for (const room of value) {
    if (typeof room === "string") rooms.push(room);
    else if (typeof room === "number") rooms.push(String(room));
    else return undefined;
  }
  return rooms;
}

/** `{rooms, except, flags}` as sent, with only the flags a receiving node honours. */
export function optionsOf(value: unknown): BroadcastOptions | undefined {
  if (!isRecord(value)) return undefined;
  const rooms = roomsOf(value.rooms);
  const except = roomsOf(value.except);
  if (!rooms || !except) return undefined;
  const flags: BroadcastFlags = {};
  if (isRecord(value.flags)) {
    if (value.flags.volatile === true) flags.volatile = true;
    if (typeof value.flags.compress === "boolean") flags.compress = value.flags.compress;
    if (typeof value.flags.timeout === "number") flags.timeout = value.flags.timeout;
  }
  return { rooms: new Set(rooms), except: new Set(except), flags };
}

/** An EVENT packet of a broadcast: its namespace ("/" when absent, as emitters may leave it out) and its data. */
export function eventPacketOf(value: unknown): { nsp: string; data: unknown[] } | undefined {
  if (!isRecord(value)) return undefined;
  if (value.type !== EVENT && value.type !== BINARY_EVENT) return undefined;
  const nsp = value.nsp === undefined ? "/" : value.nsp;
  if (typeof nsp !== "string" || !Array.isArray(value.data) || typeof value.data[0] !== "string") return undefined;
  return { nsp, data: value.data };
}

/** `seq`: the sender's number for the broadcast, when one of our nodes sent it with recovery on. */
export type BroadcastMessage = { uid: unknown; nsp: string; data: unknown[]; options: BroadcastOptions; seq: number | undefined };

/** A message of the broadcast channel: MessagePack `[uid, packet, opts]`, or `[uid, packet, opts, seq]` from our nodes. */
export function decodeBroadcast(bytes: Uint8Array): Decoded<BroadcastMessage> {
  let value: unknown;
  try {
    value = msgpackDecode(bytes);
  } catch {
    return { ok: false, error: "malformed broadcast" };
  }
  if (!Array.isArray(value)) return { ok: false, error: "broadcast is not an array" };
  const [uid, rawPacket, rawOptions, rawSeq] = value as unknown[];
  const packet = eventPacketOf(rawPacket);
  const options = optionsOf(rawOptions ?? {});
  if (!packet || !options) return { ok: false, error: "broadcast without an event packet or options" };
  return { ok: true, value: { uid, nsp: packet.nsp, data: packet.data, options, seq: sequenceOf(rawSeq) } };
}

/** A broadcast's number as sent beside it: a non-negative integer, or nothing. */
export function sequenceOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** A socket another node described in its fetchSockets answer. */
export function isDetails(value: unknown): value is SocketDetails {
  if (!isRecord(value)) return false;
  return typeof value.id === "string" && Array.isArray(value.rooms) && value.rooms.every((room) => typeof room === "string");
}

/** Sockets for a fetchSockets answer; a socket whose data JSON cannot carry (a cycle, a BigInt) goes without it. */
export function serializableDetails(sockets: SocketDetails[]): SocketDetails[] {
  return sockets.map((details) => {
    try {
      JSON.stringify(details);
      return details;
    } catch {
      return { ...details, data: null };
    }
  });
}
