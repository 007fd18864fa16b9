// Sends that keep arriving while earlier batches commit (src/db/repositories/message-writer.ts): on
// Postgres the next batch's statement runs while the batch before waits for its commit; ids, answers
// and history still follow send order, and every send is stored once.
import { beforeEach, describe, expect, test } from "bun:test";
import type { Database, JsonStatement } from "../../src/db/database.ts";
import { createRepositories, type CreateMessageResult, type Message, type Room, type User } from "../../src/db/repositories/index.ts";
import { testDriver } from "../support/database.ts";
import { freshFixture, makeUser, type Fixture } from "./fixtures.ts";

let fx: Fixture;
let alice: User;
let room: Room;
beforeEach(async () => {
  fx = await freshFixture();
  alice = await makeUser(fx.repos, "Alice");
  room = await fx.repos.rooms.create({ name: "r", isPublic: true, createdBy: alice.id });
});

function stored(result: CreateMessageResult): Message {
  if (!result.ok) throw new Error(`expected a stored message, got ${result.reason}`);
  return result.message;
}

/**
 * The repositories over `database`, counting message-batch statements running at once and telling
 * when a batch has drawn its ids (then the next batch may start).
 */
function watchedRepositories(database: Database) {
  let open = 0;
  let most = 0;
  let wake: (() => void) | undefined;
  let leanWithDrawnId = 0;
  const jsonStatement = (name: string, text: string): JsonStatement => {
    const run = database.jsonStatement(name, text);
    if (name === "studyconnect_draw_message_ids") return async (json) => run(json).finally(() => wake?.());
    if (name === "studyconnect_store_message") {
      return async (json) => {
        if ((JSON.parse(json) as { id?: number }).id !== undefined) leanWithDrawnId++;
        return run(json);
      };
    }
    if (name !== "studyconnect_store_messages") return run;
    return async (json) => {
      open++;
      most = Math.max(most, open);
      try {
        return await run(json);
      } finally {
        open--;
      }
    };
  };
  return {
    repos: createRepositories({ ...database, jsonStatement }),
    mostAtOnce: () => most,
    /** Batches of one that took the lean statement with an id drawn for them beforehand. */
    leanWithDrawnId: () => leanWithDrawnId,
    /** Resolves when a batch next draws its ids. */
    nextDrawn: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}

describe(`message writes in flight together (${testDriver})`, () => {
  test("a sender's messages sent while earlier ones commit keep their order in ids, answers and history", async () => {
    const { repos, mostAtOnce, nextDrawn } = watchedRepositories(fx.database);
    const answered: number[] = [];
    const sends: Promise<Message>[] = [];
    const send = (k: number) =>
      sends.push(repos.messages.createRoomMessage({ roomId: room.id, senderId: alice.id, text: `m${k}` }).then((r) => (answered.push(k), stored(r))));
    // Waves of sends, each once the batch before has drawn its ids (Postgres: it is still committing)
    // or, when there was none to draw (a batch alone on the writer; PGlite), once it is stored.
    const WAVES = 40;
    const PER_WAVE = 8;
    for (let wave = 0; wave < WAVES; wave++) {
      const drawn = nextDrawn();
      for (let i = 0; i < PER_WAVE; i++) send(wave * PER_WAVE + i);
      await Promise.race([drawn, sends[sends.length - 1]]);
    }
    const messages = await Promise.all(sends);
    const order = Array.from({ length: WAVES * PER_WAVE }, (_, k) => k);
    expect(answered).toEqual(order);
    expect(messages.map((m) => m.text)).toEqual(order.map((k) => `m${k}`));
    const ids = messages.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const history = await repos.messages.roomHistory(room.id, { limit: 100 });
    expect(history.map((m) => m.text).reverse()).toEqual(order.slice(-100).map((k) => `m${k}`));
    // Postgres: batches did overlap (one committing while the next ran); PGlite has one connection.
    if (testDriver === "postgres") {
      expect(mostAtOnce()).toBeGreaterThan(1);
      expect(mostAtOnce()).toBeLessThanOrEqual(3);
    } else expect(mostAtOnce()).toBe(1);
  });

  test("one message behind a batch that commits: the lean statement with the drawn id keeps send order, refuses a non-member, answers a retry with the stored message", async () => {
    const { repos, nextDrawn, leanWithDrawnId } = watchedRepositories(fx.database);
    const outsider = await makeUser(fx.repos, "Olga");
    const sends: Promise<CreateMessageResult>[] = [];
    const send = (input: { senderId: string; text: string; clientId?: string }) =>
      sends.push(repos.messages.createRoomMessage({ roomId: room.id, ...input }));
    const wave = async (start: () => void) => {
      const drawn = nextDrawn();
      start();
      await Promise.race([drawn, sends[sends.length - 1]]);
    };
    // Pairs of turns: two sends together (a batch that draws its ids, then commits), then one send
    // while that batch commits (on Postgres a batch of one behind another: it draws its id too).
    const PAIRS = 15;
    let text = 0;
    const mine = () => ({ senderId: alice.id, text: `m${text++}` });
    let keyed = "";
    for (let pair = 0; pair < PAIRS; pair++) {
      await wave(() => {
        send(mine());
        const second = mine();
        if (pair === 2) keyed = second.text;
        send(pair === 2 ? { ...second, clientId: "key" } : second);
      });
      if (pair === 5) await wave(() => send({ senderId: outsider.id, text: "not a member" }));
      else if (pair === 9) await wave(() => send({ senderId: alice.id, text: keyed, clientId: "key" }));
      else await wave(() => send(mine()));
    }
    const results = await Promise.all(sends);
    const refusedAt = 5 * 3 + 2;
    const retryAt = 9 * 3 + 2;
    expect(results[refusedAt]).toEqual({ ok: false, reason: "not_participant" });
    const retry = results[retryAt];
    const original = stored(results[2 * 3 + 1] as CreateMessageResult);
    expect(original.text).toBe(keyed);
    expect(retry?.ok && !retry.created ? retry.message.id : undefined).toBe(original.id);
    const fresh = results.filter((_, k) => k !== refusedAt && k !== retryAt).map((r) => stored(r));
    expect(fresh.map((m) => m.text)).toEqual(Array.from({ length: text }, (_, k) => `m${k}`));
    const ids = fresh.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const history = await repos.messages.roomHistory(room.id, { limit: 100 });
    expect(history.map((m) => m.text).reverse()).toEqual(fresh.map((m) => m.text));
    // Postgres: batches of one behind another took the lean statement with the id drawn for them.
    if (testDriver === "postgres") expect(leanWithDrawnId()).toBeGreaterThan(0);
    else expect(leanWithDrawnId()).toBe(0);
  });
});
