// The shapes of the REST requests. They check types only; the domain's rules (lengths, formats)
// apply in the use cases, so REST and the socket gateway enforce the same ones.
import * as v from "valibot";

const text = v.string("must be a string");

export const registerBody = v.object({ email: text, password: text, firstName: text, lastName: text });

export const loginBody = v.object({ email: text, password: text });

export const createRoomBody = v.object({
  name: text,
  description: v.optional(text),
  isPublic: v.optional(v.boolean("must be a boolean")),
});

export const addParticipantBody = v.object({ userId: v.pipe(text, v.uuid("must be a UUID")) });

const positiveInteger = v.pipe(
  v.string(),
  v.regex(/^\d{1,15}$/, "must be a positive integer"),
  v.transform(Number),
);

/** `?before=<message id>&limit=<n>`; range checks (limit 1..100) are the domain's. */
export const historyQuery = v.object({ before: v.optional(positiveInteger), limit: v.optional(positiveInteger) });
