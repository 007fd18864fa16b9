// The application's realtime contract as types (DESIGN.md "The application wire API"): the events
// each side sends, their payloads, and what a socket carries once authenticated.
import type { PresenceStatus, UserRole } from "../chat/types.ts";
import type { DefaultEventsMap, Server, Socket } from "../socketio/index.ts";

/** The seed's `socket.user`: what other users see of the sender of an event. */
export type SocketUser = { id: string; firstName: string; lastName: string; role: UserRole; avatar: string | null };

/** Set by the handshake middleware; absent only before it ran. sessionExpiresAt: ms since the epoch. */
export type SocketData = { user?: SocketUser; sessionExpiresAt?: number };

export type RoomMessagePayload = {
  id: number;
  roomId: string;
  sender: SocketUser;
  text: string;
  createdAt: Date;
  clientId: string | null;
};

export type DirectMessagePayload = {
  id: number;
  sender: SocketUser;
  recipientId: string;
  text: string;
  createdAt: Date;
  clientId: string | null;
};

export type RoomCreatedPayload = {
  id: string;
  name: string;
  description: string;
  isPublic: boolean;
  createdBy: { id: string; firstName: string; lastName: string };
};

export type ServerToClientEvents = {
  "user:status": (payload: { userId: string; status: PresenceStatus }) => void;
  "room:userJoined": (payload: { roomId: string; user: SocketUser }) => void;
  "room:userLeft": (payload: { roomId: string; userId: string }) => void;
  "message:received": (payload: RoomMessagePayload) => void;
  "dm:received": (payload: DirectMessagePayload) => void;
  "dm:error": (payload: { message: string }) => void;
  "typing:update": (payload: { roomId: string; userId: string; firstName: string; isTyping: boolean }) => void;
  "room:created": (payload: RoomCreatedPayload) => void;
};

/** The names of ServerToClientEvents, for code that needs them at run time (metrics labels). */
export const SERVER_EVENTS = [
  "user:status",
  "room:userJoined",
  "room:userLeft",
  "message:received",
  "dm:received",
  "dm:error",
  "typing:update",
  "room:created",
] as const satisfies readonly (keyof ServerToClientEvents)[];
// Every event of the type is listed: a new one left out of SERVER_EVENTS fails to compile here.
type Holds<T extends true> = T;
export type ServerEventsListed = Holds<[Exclude<keyof ServerToClientEvents, (typeof SERVER_EVENTS)[number]>] extends [never] ? true : false>;

export const CLIENT_EVENTS = ["room:join", "room:leave", "message:send", "dm:send", "typing:start", "typing:stop"] as const;
export type ClientEventName = (typeof CLIENT_EVENTS)[number];

/** Client input is untrusted: every handler takes unknown arguments and validates them. */
export type ClientToServerEvents = Record<ClientEventName, (...args: unknown[]) => void>;

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
