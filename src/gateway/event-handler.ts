// How every client event is handled: the ack (if any) is taken from the last argument, the payload
// is validated, and the handler runs in this socket's pipeline: events start in the order sent (a
// send right after a join finds the room joined) and are answered in that order, exactly once. A
// handler that hands its work off (a message going to the database) lets the next event start.
// Handlers are defined once for all sockets; a socket carries only its context.
import * as v from "valibot";
import { InvalidInputError } from "../chat/errors.ts";
import type { ChatServices } from "../chat/index.ts";
import type { Timers } from "../chat/ports.ts";
import type { DeliveryLedger } from "./delivery-ledger.ts";
import type { PresenceTracker } from "../chat/presence-tracker.ts";
import type { TypingIndicator } from "../chat/typing.ts";
import type { Deadline } from "../lib/deadline-queue.ts";
import type { Inflight } from "../lib/inflight.ts";
import type { Logger } from "../lib/logger.ts";
import type { KeyedSerialQueue } from "../lib/serial-queue.ts";
import type { BucketState, TokenBucket } from "../lib/token-bucket.ts";
import { OrderedPipeline, type Settlement } from "../lib/ordered-pipeline.ts";
import { ackErrorOf, ackFailure, ackOk, SHUTTING_DOWN, type Ack, type AckError, type AckResponse } from "./acks.ts";
import type { Expiring, SessionExpiry } from "./session-expiry.ts";
import type { GatewayServer, GatewaySocket, SocketUser } from "./types.ts";

export { handoff } from "../lib/ordered-pipeline.ts";

/** What every socket of the gateway shares. */
export type GatewayShared = {
  io: GatewayServer;
  chat: ChatServices;
  logger: Logger;
  timers: Timers;
  presence: PresenceTracker;
  /** Under a cluster adapter: the chat messages delivered here (bus-catch-up.ts). */
  ledger: DeliveryLedger | undefined;
  expiry: SessionExpiry;
  /** Events in flight across all sockets: the gateway awaits it on shutdown. */
  inflight: Inflight;
  /** Set when a graceful shutdown begins: new events are answered SHUTTING_DOWN, those in flight finish. */
  draining: boolean;
  /** How long a typing indicator lasts without a new typing:start (undefined: 5 s). */
  typingExpiryMs: number | undefined;
  /** Client events per second per socket (README "Limits"); a socket's state lives on its context. */
  eventRate: TokenBucket;
  /** Study rooms one socket may have joined at once. */
  roomsPerSocket: number;
  /** Room join/leave announcements, one at a time per user and room (two tabs announce once). */
  announcements: KeyedSerialQueue;
};

/**
 * One socket's state: its user, and what it only needs once it does something (its event pipeline,
 * its typing indicators). Kept small: a server holds one per connected tab.
 */
export type SocketContext = {
  shared: GatewayShared;
  socket: GatewaySocket;
  user: SocketUser;
  events: OrderedPipeline | undefined;
  typing: TypingIndicator | undefined;
  expiry: Deadline<Expiring> | undefined;
  /** Its event-rate bucket, from its first event on. */
  bucket: BucketState | undefined;
};

/** A client event: its payload schema and its handler (answering the ack's data, a promise of it, or a handoff). */
export type EventDefinition<S extends v.GenericSchema = v.GenericSchema> = {
  schema: S;
  handle(ctx: SocketContext, input: v.InferOutput<S>): unknown;
  /** Called with the error a client is answered with (e.g. dm:send's seed-style dm:error). */
  onFailure?(ctx: SocketContext, error: AckError): void;
};

export const defineEvent = <S extends v.GenericSchema>(definition: EventDefinition<S>): EventDefinition<S> => definition;

/**
 * Events one socket may have in flight at once. A client that floods faster than its events are
 * handled gets RATE_LIMITED answers instead of an ever-growing queue.
 */
export const MAX_PENDING_EVENTS = 64;

const RATE_LIMITED: AckResponse = ackFailure({ code: "RATE_LIMITED", message: "Too many requests in flight; slow down" });
const TOO_FAST: AckResponse = ackFailure({ code: "RATE_LIMITED", message: "Too many events per second; slow down" });
const REFUSED_SHUTTING_DOWN: AckResponse = ackFailure(SHUTTING_DOWN);
const UNKNOWN_EVENT: AckResponse = ackFailure({ code: "INVALID", message: "Unknown event" });

/** Removes and returns the ack callback Socket.IO appends when the client asked for one. */
function takeAck(args: unknown[]): Ack | undefined {
  const last = args.at(-1);
  if (typeof last !== "function") return undefined;
  args.pop();
  return last as Ack;
}

/** Handles one client event on `ctx`'s socket; every event with an ack gets an answer, an unknown one too. */
export function dispatchEvent(ctx: SocketContext, table: Readonly<Record<string, EventDefinition>>, event: string, args: unknown[]): void {
  const ack = takeAck(args);
  if (ctx.shared.draining) {
    ack?.(REFUSED_SHUTTING_DOWN);
    return;
  }
  // Every event counts toward the rate, an unknown one too: answering costs something as well.
  const { eventRate, timers } = ctx.shared;
  const now = timers.now();
  if (!eventRate.take((ctx.bucket ??= eventRate.create(now)), now)) {
    ack?.(TOO_FAST);
    return;
  }
  const definition = Object.hasOwn(table, event) ? table[event] : undefined;
  if (definition === undefined) {
    ack?.(UNKNOWN_EVENT);
    return;
  }
  const events = (ctx.events ??= new OrderedPipeline());
  if (events.pending >= MAX_PENDING_EVENTS) {
    ack?.(RATE_LIMITED);
    return;
  }
  const payload = args[0];
  ctx.shared.inflight.enter();
  events.submit(
    () => {
      const parsed = v.safeParse(definition.schema, payload);
      if (!parsed.success) throw new InvalidInputError(parsed.issues[0].message);
      return definition.handle(ctx, parsed.output);
    },
    (settlement) => answer(ctx, event, definition, ack, settlement),
  );
}

function answer(ctx: SocketContext, event: string, definition: EventDefinition, ack: Ack | undefined, settlement: Settlement): void {
  ctx.shared.inflight.leave();
  const response = settlement.ok
    ? ackOk(settlement.value)
    : ackFailure(
        ackErrorOf(settlement.error, (error) => ctx.shared.logger.error("socket event failed", { event, userId: ctx.user.id, error })),
      );
  if (!response.ok) definition.onFailure?.(ctx, response.error);
  ack?.(response);
}
