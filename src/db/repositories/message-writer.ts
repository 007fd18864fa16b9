// Stores messages with group commit: the sends that arrive while a write is in flight go together in
// the next one, as ONE statement that checks each row's target (the sender takes part in the room,
// the recipient exists), inserts the allowed rows, and reports the stored twin of a retried clientId.
// On Postgres a batch first draws its ids, and the next batch may start while this one commits.
import type { Database } from "../database.ts";
import { createGroupCommit } from "../../lib/group-commit.ts";
import type { StoreMessageResult } from "../../chat/ports.ts";
import type { StoredMessage } from "../../chat/types.ts";
import { pgErrorOf } from "./pg-error.ts";

export type Message = StoredMessage;
export type MessageType = Message["type"];

/** A message to store; ids are canonical (lower-case) and well-formed uuids. */
export type Draft = Omit<Message, "id" | "createdAt">;

export type CreateMessageResult = StoreMessageResult;

/** Rows per statement: bounds one flush's latency and the size of its JSON parameter. */
const MAX_BATCH = 256;

// Postgres: batches whose commit may be pending at once, each on a pooled connection. A commit
// waits for the disk (milliseconds), drawing ids far less; three keep the disk busy without one
// writer taking most of the pool.
const MAX_COMMITS_IN_FLIGHT = 3;

// Ids for a batch, in ascending order. Sequence values are handed out at once and never taken back,
// so a batch that draws after another gets higher ids even if it commits first.
const DRAW_IDS_STATEMENT = `
  select nextval('messages_id_seq')::float8 as id
  from generate_series(1, ($1::json->>'n')::int)`;

// One statement per batch. Ids (drawn beforehand, or here in submit order) make history order send
// order and let every input row find its inserted twin; `e` is the row a clientId conflict hit,
// looked up only for a row that was not inserted, through the unique index (a lateral subquery that
// `limit` keeps from being flattened into a join). As a plain join, a plan cached while the table was
// small (1 763 rows estimated, 64 556 there) had Postgres hash a scan of every message for each batch.
const BATCH_STATEMENT = `
    with input as (
      select coalesce(j.id, nextval('messages_id_seq')) as id, j.o, j.type, j.room_id, j.recipient_id, j.sender_id, j.text, j.client_id
      from (
        select * from json_to_recordset($1::json)
          as r(o int, id bigint, type text, room_id uuid, recipient_id uuid, sender_id uuid, text text, client_id text)
        order by o
      ) j
    ),
    checked as (
      select i.*, case
        when i.type = 'room' then case
          when exists (select 1 from room_participants p where p.room_id = i.room_id and p.user_id = i.sender_id) then 'ok'
          when exists (select 1 from study_rooms s where s.id = i.room_id) then 'not_participant'
          else 'target_not_found' end
        when exists (select 1 from users u where u.id = i.recipient_id) then 'ok'
        else 'target_not_found' end as verdict
      from input i
    ),
    inserted as (
      insert into messages (id, type, room_id, recipient_id, sender_id, text, client_id)
      overriding system value
      select id, type, room_id, recipient_id, sender_id, text, client_id from checked where verdict = 'ok' order by o
      on conflict (sender_id, client_id) do nothing
      returning id, created_at
    )
    select c.o, c.verdict,
      ins.id::float8 as inserted_id, floor(extract(epoch from ins.created_at) * 1000)::float8 as inserted_ms,
      e.id::float8 as existing_id, e.type as existing_type, e.room_id as existing_room_id,
      e.recipient_id as existing_recipient_id, e.text as existing_text,
      floor(extract(epoch from e.created_at) * 1000)::float8 as existing_ms
    from checked c
    left join inserted ins on ins.id = c.id
    left join lateral (
      select m.id, m.type, m.room_id, m.recipient_id, m.text, m.created_at from messages m
      where ins.id is null and c.verdict = 'ok' and c.client_id is not null
        and m.sender_id = c.sender_id and m.client_id = c.client_id
      limit 1
    ) e on true
    order by c.o`;

// A batch of one message (the common case below saturation, and a lone sender's messages arriving
// one by one while earlier ones commit) takes a lean statement: the batch statement's CTEs cost
// Postgres about three times as much for one row. Its id is the one drawn for it beforehand, or
// drawn here. It inserts only an allowed message and answers nothing otherwise; refusals and
// retries then go through the batch statement (with that same id), which says why.
const SINGLE_STATEMENT = `
  insert into messages (id, type, room_id, recipient_id, sender_id, text, client_id)
  overriding system value
  select coalesce(d.id, nextval('messages_id_seq')), d.type, d.room_id, d.recipient_id, d.sender_id, d.text, d.client_id
  from json_populate_record(null::messages, $1::json) d
  where case when d.type = 'room'
    then exists (select 1 from room_participants p where p.room_id = d.room_id and p.user_id = d.sender_id)
    else exists (select 1 from users u where u.id = d.recipient_id) end
  on conflict (sender_id, client_id) do nothing
  returning id::float8 as id, floor(extract(epoch from created_at) * 1000)::float8 as created_ms`;

type BatchRow = {
  o: number;
  verdict: "ok" | "not_participant" | "target_not_found";
  inserted_id: number | string | null;
  inserted_ms: number | string | null;
  existing_id: number | string | null;
  existing_type: MessageType | null;
  existing_room_id: string | null;
  existing_recipient_id: string | null;
  existing_text: string | null;
  existing_ms: number | string | null;
};

/** "retry": the row must go again in a later batch (its key was taken within this one, or by a write we could not see). */
type Outcome = CreateMessageResult | "retry";

// Attempts per message; another round only happens when the row that blocked the insert was not
// visible yet (a concurrent writer), or when several drafts with one key had a refused first one.
const MAX_ATTEMPTS = 5;

// SQLSTATE classes that one bad row can raise (data exceptions, integrity violations): the batch is
// retried row by row so the others are not failed with it. Anything else (connection, timeout) fails all.
const ROW_ERROR_CLASSES = ["22", "23"];

const numberOf = (value: number | string | null): number => Number(value);

function sameMessage(stored: Pick<Message, "type" | "roomId" | "recipientId" | "text">, draft: Draft): boolean {
  return stored.type === draft.type && stored.roomId === draft.roomId && stored.recipientId === draft.recipientId && stored.text === draft.text;
}

/** What one statement did with an input row: its verdict and the row now holding its key, if any. */
type RowResult = { verdict: BatchRow["verdict"]; inserted: Message | undefined; holder: Message | undefined };

function rowResultOf(draft: Draft, row: BatchRow | undefined): RowResult {
  if (!row) throw new Error("message batch answered no row for an input");
  if (row.inserted_id !== null) {
    const inserted = { id: numberOf(row.inserted_id), ...draft, createdAt: new Date(numberOf(row.inserted_ms)) };
    return { verdict: row.verdict, inserted, holder: inserted };
  }
  if (row.existing_id === null || row.existing_type === null || row.existing_text === null) {
    return { verdict: row.verdict, inserted: undefined, holder: undefined };
  }
  const holder: Message = {
    id: numberOf(row.existing_id),
    type: row.existing_type,
    roomId: row.existing_room_id,
    recipientId: row.existing_recipient_id,
    senderId: draft.senderId,
    text: row.existing_text,
    clientId: draft.clientId,
    createdAt: new Date(numberOf(row.existing_ms)),
  };
  return { verdict: row.verdict, inserted: undefined, holder };
}

/** A draft whose key is held by `holder`: a retry of that very message, or a conflicting reuse. */
function retryOutcome(draft: Draft, holder: Message): CreateMessageResult {
  // Same key, different message: answering with the stored one would confirm a send that never happened.
  return sameMessage(holder, draft) ? { ok: true, created: false, message: holder } : { ok: false, reason: "client_id_conflict" };
}

function leaderOutcome(draft: Draft, result: RowResult): Outcome {
  if (result.verdict !== "ok") return { ok: false, reason: result.verdict };
  if (result.inserted) return { ok: true, created: true, message: result.inserted };
  // Not inserted and no row visible: a concurrent writer holds the key; its row shows next time.
  return result.holder ? retryOutcome(draft, result.holder) : "retry";
}

export type MessageWriter = {
  write(draft: Draft): Promise<CreateMessageResult>;
  /** Resolves once every submitted message is stored or failed. */
  idle(): Promise<void>;
};

/**
 * `pipelined` (Postgres): the next batch may start once this one has drawn its ids, so its statement
 * runs while this one's commit waits for the disk. PGlite runs one statement at a time anyway.
 */
export function createMessageWriter(jsonStatement: Database["jsonStatement"], { pipelined }: { pipelined: boolean }): MessageWriter {
  const statement = jsonStatement("studyconnect_store_messages", BATCH_STATEMENT);
  const single = jsonStatement("studyconnect_store_message", SINGLE_STATEMENT);
  const drawIds = jsonStatement("studyconnect_draw_message_ids", DRAW_IDS_STATEMENT);

  /** The lean path for a batch of one (`id`: drawn for it, or undefined): stored, or undefined when the batch statement must say why not. */
  async function runSingle(draft: Draft, id: number | undefined): Promise<Outcome | undefined> {
    const json = JSON.stringify({ id, type: draft.type, room_id: draft.roomId, recipient_id: draft.recipientId, sender_id: draft.senderId, text: draft.text, client_id: draft.clientId });
    const [row] = (await single(json)) as { id: number | string; created_ms: number | string }[];
    if (!row) return undefined;
    return { ok: true, created: true, message: { id: numberOf(row.id), ...draft, createdAt: new Date(numberOf(row.created_ms)) } };
  }
  /** `ids`: one per draft, drawn beforehand (pipelined); undefined: the statement draws them in order. */
  async function run(drafts: Draft[], ids: readonly number[] | undefined): Promise<Outcome[]> {
    const [only] = drafts;
    if (drafts.length === 1 && only) {
      const stored = await runSingle(only, ids?.[0]);
      if (stored) return [stored];
    }
    // The first of several drafts sharing a (sender, clientId) is written; the others are answered
    // from the row that then holds the key (a retry of it, or a conflicting reuse).
    const leaders = new Map<string, number>();
    const sent: Draft[] = [];
    const sentIds: (number | null)[] = [];
    const slot: number[] = drafts.map((draft, i) => {
      const key = draft.clientId === null ? undefined : JSON.stringify([draft.senderId, draft.clientId]);
      const leader = key === undefined ? undefined : leaders.get(key);
      if (leader !== undefined) return -1 - leader;
      if (key !== undefined) leaders.set(key, sent.length);
      sentIds.push(ids?.[i] ?? null);
      return sent.push(draft) - 1;
    });
    const json = JSON.stringify(
      sent.map((d, o) => ({ o, id: sentIds[o], type: d.type, room_id: d.roomId, recipient_id: d.recipientId, sender_id: d.senderId, text: d.text, client_id: d.clientId })),
    );
    const rows = (await statement(json)) as BatchRow[];
    const results = sent.map((draft, at) => rowResultOf(draft, rows[at]));
    return drafts.map((draft, i) => {
      const at = slot[i] ?? 0;
      if (at >= 0) return leaderOutcome(draft, results[at] as RowResult);
      const holder = results[-1 - at]?.holder;
      return holder ? retryOutcome(draft, holder) : "retry";
    });
  }

  // A row's own failure after a split reaches only its sender: it travels as a value.
  type Settled = Outcome | { failed: unknown };

  /**
   * Pipelined: this batch's ids, drawn now, unless it is one message alone on the writer: the lean
   * statement draws its id as it inserts (one round trip), and nothing may start before it ends.
   */
  async function idsFor(drafts: Draft[]): Promise<number[] | undefined> {
    if (!pipelined || (drafts.length === 1 && batches.pending === 1)) return undefined;
    const rows = (await drawIds(JSON.stringify({ n: drafts.length }))) as { id: number | string }[];
    if (rows.length !== drafts.length) throw new Error(`drew ${rows.length} message ids for ${drafts.length} messages`);
    return rows.map((row) => numberOf(row.id)).sort((a, b) => a - b);
  }

  async function flush(drafts: Draft[], ordered: () => void): Promise<Settled[]> {
    const ids = await idsFor(drafts);
    // Drawn beforehand: the next batch may start now, and will draw higher ids.
    if (ids !== undefined) ordered();
    try {
      return await run(drafts, ids);
    } catch (error) {
      const code = pgErrorOf(error)?.code ?? "";
      if (drafts.length === 1 || !ROW_ERROR_CLASSES.some((c) => code.startsWith(c))) throw error;
      // One row broke the statement: settle each on its own, in order, so only that one fails. Each
      // keeps the id drawn for it, so the batches after this one still have higher ids.
      const settled: Settled[] = [];
      for (const [at, draft] of drafts.entries()) {
        const own = ids?.[at];
        settled.push(await run([draft], own === undefined ? undefined : [own]).then(([outcome]): Settled => outcome ?? "retry", (failed: unknown) => ({ failed })));
      }
      return settled;
    }
  }

  const batches = createGroupCommit<Draft, Settled>(flush, { maxBatch: MAX_BATCH, maxInFlight: pipelined ? MAX_COMMITS_IN_FLIGHT : 1 });

  return {
    async write(draft) {
      for (let attempt = 1; ; attempt++) {
        const outcome = await batches.submit(draft);
        if (typeof outcome === "object" && "failed" in outcome) throw outcome.failed;
        if (outcome !== "retry") return outcome;
        if (attempt >= MAX_ATTEMPTS) throw new Error("message idempotency key kept conflicting with a row that was not visible");
      }
    },
    idle: () => batches.idle(),
  };
}
