// How every client event is handled: the ack (if any) is taken from the last argument, the payload
// is validated, the handler runs in this socket's queue (a client's events are handled in the order
// sent, so a send right after a join finds the room joined), and whatever happens is answered once.
import * as v from "valibot";
import type { ChatServices } from "../chat/index.ts";
import type { TypingIndicator } from "../chat/typing.ts";
import type { KeyedSerialQueue } from "../lib/serial-queue.ts";
import type { Logger } from "../lib/logger.ts";
import { ackErrorOf, ackFailure, ackOk, type Ack, type AckError, type AckResponse } from "./acks.ts";
import type { ClientEventName, GatewayServer, GatewaySocket, SocketUser } from "./types.ts";

/** What an event handler may use: its socket and user, the use cases, this socket's typing state. */
export type SocketContext = {
  io: GatewayServer;
  socket: GatewaySocket;
  user: SocketUser;
  chat: ChatServices;
  typing: TypingIndicator;
  logger: Logger;
  /** Shared by all sockets, keyed by socket id; the gateway awaits it on shutdown. */
  queue: KeyedSerialQueue;
};

/**
 * Events one socket may have waiting for the database at once. A client that floods faster than
 * its events are handled gets RATE_LIMITED answers instead of an ever-growing queue.
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

export function onEvent<S extends v.GenericSchema>(
  ctx: SocketContext,
  event: ClientEventName,
  schema: S,
  handle: (input: v.InferOutput<S>) => unknown,
  options: EventOptions = {},
): void {
  ctx.socket.on(event, (...args: unknown[]) => {
    const ack = takeAck(args);
    if (ctx.queue.pending(ctx.socket.id) >= MAX_PENDING_EVENTS) {
      ack?.(RATE_LIMITED);
      return;
    }
    ctx.queue
      .run(ctx.socket.id, async () => {
        const response = await answer(ctx, event, schema, args[0], handle);
        if (!response.ok) options.onFailure?.(response.error);
        ack?.(response);
      })
      // Only a bug in the answering itself gets here: nothing may escape into the transport.
      .catch((error: unknown) => ctx.logger.error("socket event could not be answered", { event, userId: ctx.user.id, error }));
  });
}

async function answer<S extends v.GenericSchema>(
  ctx: SocketContext,
  event: ClientEventName,
  schema: S,
  payload: unknown,
  handle: (input: v.InferOutput<S>) => unknown,
): Promise<AckResponse> {
  const parsed = v.safeParse(schema, payload);
  if (!parsed.success) return ackFailure({ code: "INVALID", message: parsed.issues[0].message });
  try {
    return ackOk(await handle(parsed.output));
  } catch (error) {
    return ackFailure(
      ackErrorOf(error, (unexpected) => ctx.logger.error("socket event failed", { event, userId: ctx.user.id, error: unexpected })),
    );
  }
}
