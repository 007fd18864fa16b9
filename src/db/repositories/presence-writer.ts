// Stores presence observations with group commit: the status changes that arrive while a write is
// in flight go together in the next one, as one upsert. A burst of users coming online (a class at
// 9:00) then costs one statement per round trip, and their announcements leave in one event-loop
// turn, which the WebSocket layer coalesces into one write per receiving socket.
import type { Database } from "../database.ts";
import { createGroupCommit } from "../../lib/group-commit.ts";
import type { PresenceStatus } from "../../chat/types.ts";
import { pgErrorOf } from "./pg-error.ts";

export type Observation = { userId: string; status: PresenceStatus; at: Date };

const MAX_BATCH = 512;

// The newest observation wins; the same instant lets the later call win, so a reconnect in the
// same millisecond still lands. Answers the rows written.
const UPSERT = `
  insert into user_presence (user_id, status, last_activity)
  select user_id, status, last_activity
  from json_to_recordset($1::json) as r(user_id uuid, status text, last_activity timestamptz)
  on conflict (user_id) do update set status = excluded.status, last_activity = excluded.last_activity
  where user_presence.last_activity <= excluded.last_activity
  returning user_id`;

// SQLSTATE classes one bad row can raise (a user that does not exist, a malformed id): the batch is
// retried row by row so only that row fails.
const ROW_ERROR_CLASSES = ["22", "23"];

type Settled = boolean | { failed: unknown };

export type PresenceWriter = { write(observation: Observation): Promise<boolean> };

export function createPresenceWriter(jsonStatement: Database["jsonStatement"]): PresenceWriter {
  const statement = jsonStatement("studyconnect_set_presence", UPSERT);

  /** One statement; answers, per observation, whether its row was written. */
  async function upsert(observations: Observation[]): Promise<boolean[]> {
    const json = JSON.stringify(
      observations.map((o) => ({ user_id: o.userId, status: o.status, last_activity: o.at.toISOString() })),
    );
    const written = new Set((await statement(json)).map((row) => String(row["user_id"])));
    return observations.map((o) => written.has(o.userId.toLowerCase()));
  }

  /** A user twice in one statement is an error in Postgres: later observations go in later rounds. */
  async function flush(observations: Observation[]): Promise<Settled[]> {
    const results: Settled[] = new Array<Settled>(observations.length);
    let rest = observations.map((observation, index) => ({ observation, index }));
    while (rest.length > 0) {
      const seen = new Set<string>();
      const round: typeof rest = [];
      const later: typeof rest = [];
      for (const entry of rest) {
        if (seen.has(entry.observation.userId)) later.push(entry);
        else {
          seen.add(entry.observation.userId);
          round.push(entry);
        }
      }
      rest = later;
      const settled = await settleRound(round.map((entry) => entry.observation));
      round.forEach((entry, i) => (results[entry.index] = settled[i] as Settled));
    }
    return results;
  }

  async function settleRound(observations: Observation[]): Promise<Settled[]> {
    try {
      return await upsert(observations);
    } catch (error) {
      const code = pgErrorOf(error)?.code ?? "";
      if (observations.length === 1 || !ROW_ERROR_CLASSES.some((c) => code.startsWith(c))) throw error;
      const settled: Settled[] = [];
      for (const observation of observations) {
        settled.push(await upsert([observation]).then(([written]) => written === true, (failed: unknown) => ({ failed })));
      }
      return settled;
    }
  }

  const batches = createGroupCommit<Observation, Settled>(flush, { maxBatch: MAX_BATCH });

  return {
    async write(observation) {
      const settled = await batches.submit(observation);
      if (typeof settled === "object") throw settled.failed;
      return settled;
    },
  };
}
