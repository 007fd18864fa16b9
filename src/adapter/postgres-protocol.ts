// The inter-node protocol of socket.io's Postgres adapter (@socket.io/postgres-adapter 0.5, built on
// socket.io-adapter's ClusterAdapterWithHeartbeat): message types, the NOTIFY channel of a namespace,
// and decoders from NOTIFY payloads and attachment rows to checked documents.
import { decode as msgpackDecode } from "notepack.io-3";
import type { BusRecord, Decoded } from "./cluster-protocol.ts";

/** Message types, numbered as socket.io-adapter's ClusterAdapter numbers them. */
export const MessageType = {
  INITIAL_HEARTBEAT: 1,
  HEARTBEAT: 2,
  BROADCAST: 3,
  SOCKETS_JOIN: 4,
  SOCKETS_LEAVE: 5,
  DISCONNECT_SOCKETS: 6,
  FETCH_SOCKETS: 7,
  FETCH_SOCKETS_RESPONSE: 8,
  SERVER_SIDE_EMIT: 9,
  SERVER_SIDE_EMIT_RESPONSE: 10,
  BROADCAST_CLIENT_COUNT: 11,
  BROADCAST_ACK: 12,
  ADAPTER_CLOSE: 13,
} as const;

/** The uid emitters put in their documents: not a node, never counted. */
export const EMITTER_UID = "emitter";

/** Postgres refuses a NOTIFY payload of 8000 bytes or more (NOTIFY_PAYLOAD_MAX_LENGTH): those go through the table. */
export const NOTIFY_PAYLOAD_LIMIT = 8000;

/** Channel names are identifiers: 63 bytes at most, or LISTEN truncates them and pg_notify refuses them. */
export const MAX_CHANNEL_BYTES = 63;

/** The NOTIFY channel of a namespace: `<prefix>#<nsp>` ("socket.io#/" by default). */
export function channelOf(prefix: string, namespace: string): string {
  return `${prefix}#${namespace}`;
}

/** Whether a value is an object a document's fields can be read from (not null, not an array). */
export const isRecord = (value: unknown): value is BusRecord => typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a value holds bytes anywhere (then it travels as MessagePack through the table, as the official adapter sends it). */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some((item) => hasBinary(item, depth + 1));
  return Object.values(value).some((item) => hasBinary(item, depth + 1));
}

/** A NOTIFY payload: a whole document, or the header of one stored in the attachment table. */
export type Notification = { kind: "document"; document: BusRecord } | { kind: "attachment"; uid: unknown; attachmentId: string };

export function decodeNotification(payload: string): Decoded<Notification> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, error: "notification is not JSON" };
  }
  if (!isRecord(value)) return { ok: false, error: "notification is not an object" };
  const { attachmentId } = value;
  if (attachmentId === undefined) return { ok: true, value: { kind: "document", document: value } };
  // bigserial ids arrive as strings from node-postgres; a number is taken too.
  if (typeof attachmentId === "string" && /^[0-9]{1,19}$/.test(attachmentId)) return { ok: true, value: { kind: "attachment", uid: value.uid, attachmentId } };
  if (typeof attachmentId === "number" && Number.isSafeInteger(attachmentId) && attachmentId >= 0)
    return { ok: true, value: { kind: "attachment", uid: value.uid, attachmentId: String(attachmentId) } };
  return { ok: false, error: "attachment id is not a row id" };
}

/** The MessagePack document of an attachment row. */
export function decodeAttachment(bytes: unknown): Decoded<BusRecord> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: "attachment payload is not bytes" };
  let value: unknown;
  try {
    value = msgpackDecode(bytes);
  } catch {
    return { ok: false, error: "malformed attachment" };
  }
  return isRecord(value) ? { ok: true, value } : { ok: false, error: "attachment is not an object" };
}
