// How every client event is handled: the ack (if any) is taken from the last argument, the payload
// is validated, and the handler runs in this socket's pipeline: events start in the order sent (a
// send right after a join finds the room joined) and are answered in that order, exactly once. A
// handler that hands its work off (a message going to the database) lets the next event start.
import * as v from "valibot";
import { InvalidInputError } from "../chat/errors.ts";
import type { ChatServices } from "../chat/index.ts";
import type { TypingIndicator } from "../chat/typing.ts";
import type { Inflight } from "../lib/inflight.ts";
import type { Logger } from "../lib/logger.ts";
import type { OrderedPipeline, Settlement } from "../lib/ordered-pipeline.ts";
import { ackErrorOf, ackFailure, ackOk, type Ack, type AckError, type AckResponse } from "./acks.ts";
import type { ClientEventName, GatewayServer, GatewaySocket, SocketUser } from "./types.ts";

export { handoff } from "../lib/ordered-pipeline.ts";

/** What an event handler may use: its socket and user, the use cases, this socket's typing state. */
export type SocketContext = {
  io: GatewayServer;
  socket: GatewaySocket;
  user: SocketUser;
  chat: ChatServices;
  typing: TypingIndicator;
  logger: Logger;
  /** This socket's events, in order. */
  events: OrderedPipeline;
  /** Shared by all sockets: the gateway awaits it on shutdown. */
  inflight: Inflight;
};

/**
 * Events one socket may have in flight at once. A client that floods faster than its events are
 * handled gets RATE_LIMITED answers instead of an ever-growing queue.
 */
export const MAX_PENDING_EVENTS = 64;

const RATE_LIMITED: AckResponse = ackFailure({ code: "RATE_LIMITED", message: "Too many requests in flight; slow down" });

export type EventOptions = {
  /** Called with the error a client is answered with (e.g. dm:send's seed-style dm:error). */
  onFailure?: (error: AckError) => void;
};

/** Removes and returns the ack callback Socket.IO appends when the client asked for one. */
export function takeAck(args: unknown[]): Ack | undefined {
  const last = args.at(-1);
  if (typeof last !== "function") return undefined;
  args.pop();
  return last as Ack;
}

/**
 * Registers `handle` for `event`. It gets the validated payload and answers with the ack's data,
 * a promise of it, or a `handoff(work, finish)` whose `finish` gives the data.
 */
export function onEvent<S extends v.GenericSchema>(
  ctx: SocketContext,
  event: ClientEventName,
  schema: S,
  handle: (input: v.InferOutput<S>) => unknown,
  options: EventOptions = {},
): void {
  const { events, inflight } = ctx;
  const unexpected = (error: unknown) => ctx.logger.error("socket event failed", { event, userId: ctx.user.id, error });

  const respond = (ack: Ack | undefined) => (settlement: Settlement) => {
    inflight.leave();
    const response = settlement.ok ? ackOk(settlement.value) : ackFailure(ackErrorOf(settlement.error, unexpected));
    if (!response.ok) options.onFailure?.(response.error);
    ack?.(response);
  };

  ctx.socket.on(event, (...args: unknown[]) => {
    const ack = takeAck(args);
    if (events.pending >= MAX_PENDING_EVENTS) {
      ack?.(RATE_LIMITED);
      return;
    }
    const payload = args[0];
    inflight.enter();
    events.submit(() => {
      const parsed = v.safeParse(schema, payload);
      if (!parsed.success) throw new InvalidInputError(parsed.issues[0].message);
      return handle(parsed.output);
    }, respond(ack));
  });
}
