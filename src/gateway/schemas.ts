// valibot schemas for what clients send with each event. They check shape and types and drop
// unknown keys; the content rules (text length, NUL, clientId) stay in src/chat/rules.ts, applied
// by the use cases. Ids are compared lower-cased, as the database spells them.
import * as v from "valibot";

// Ids are UUIDs (36 characters); anything much longer is not worth a database lookup.
const MAX_ID_LENGTH = 64;

const id = (field: string) =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.trim(),
    v.nonEmpty(`${field} must not be empty`),
    v.maxLength(MAX_ID_LENGTH, `${field} must be at most ${MAX_ID_LENGTH} characters`),
    v.toLowerCase(),
  );

const payloadObject = <E extends v.ObjectEntries>(entries: E) => v.object(entries, "payload must be an object");

/** room:join and room:leave take the bare room id, as the seed's clients send it. */
export const roomIdPayload = id("roomId");

export const messageSendPayload = payloadObject({
  roomId: id("roomId"),
  text: v.string("text must be a string"),
  clientId: v.nullish(v.string("clientId must be a string")),
});

export const dmSendPayload = payloadObject({
  recipientId: id("recipientId"),
  text: v.string("text must be a string"),
  clientId: v.nullish(v.string("clientId must be a string")),
});

export const typingPayload = payloadObject({ roomId: id("roomId") });
