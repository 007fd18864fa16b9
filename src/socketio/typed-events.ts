// Types for typed events in socket.io's style: `Server<ClientToServer, ServerToClient,
// InterServer, SocketData>`, with untyped defaults for code that declares no event maps.

/** An event map: event name → listener signature. */
export type EventsMap = Record<string, (...args: never[]) => unknown>;

/** The untyped default: any event, any arguments. */
export type DefaultEventsMap = Record<string, (...args: never[]) => void>;

export type EventNames<Map extends EventsMap> = keyof Map & string;

/**
 * The arguments an event is emitted with. Untyped listeners (`(...args: never[])`) accept any
 * arguments when emitting, like socket.io's `any`-based default map.
 */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev] extends (...args: infer P) => unknown
  ? [P] extends [never[]]
    ? unknown[]
    : P
  : never;

/** Events the library itself emits (not from clients). */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string> =
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : (...args: never[]) => unknown;

/** The last parameter of a typed emit when it expects an acknowledgement. */
export type AckCallback = (...args: unknown[]) => void;
