// The delivery ledger (src/gateway/delivery-ledger.ts): each chat message reaches this node's
// sockets once, other events pass, the mark a catch-up starts from, own messages kept to resend, and
// other nodes' messages held back while a catch-up runs, and where a catch-up starts (looking back
// for messages committed late with lower ids).
import { describe, expect, test } from "bun:test";
import { createDeliveryLedger } from "../../src/gateway/delivery-ledger.ts";

const room = (id: number) => ["message:received", { id, roomId: "r", text: "hi" }];
const dm = (id: number) => ["dm:received", { id, recipientId: "u", text: "hi" }];
const TO_ROOM = { rooms: new Set(["room:r"]) };

describe("delivery ledger", () => {
  test("a chat message is admitted once, whichever event carries it; other events always pass", () => {
    const ledger = createDeliveryLedger();
    expect([ledger.admit(room(1), TO_ROOM), ledger.admit(room(1), TO_ROOM), ledger.admit(dm(2), TO_ROOM), ledger.admit(dm(2), TO_ROOM)]).toEqual([true, false, true, false]);
    expect([ledger.admit(["typing:update", { id: 1 }], TO_ROOM), ledger.admit(["typing:update", { id: 1 }], TO_ROOM), ledger.admit(["message:received", "odd"], TO_ROOM)]).toEqual([true, true, true]);
    expect(ledger.delivered(1) && ledger.delivered(2) && !ledger.delivered(3)).toBe(true);
  });

  test("the mark follows messages from other nodes, not this node's own, and never goes down", () => {
    const ledger = createDeliveryLedger();
    ledger.raise(10);
    ledger.admit(room(5), TO_ROOM);
    expect(ledger.remoteHigh).toBe(10);
    ledger.admit(room(12), TO_ROOM);
    ledger.sent(20, () => {});
    ledger.admit(room(20), TO_ROOM);
    expect(ledger.remoteHigh).toBe(12);
  });

  test("only the newest ids are remembered", () => {
    const ledger = createDeliveryLedger(2);
    for (const id of [1, 2, 3]) ledger.admit(room(id), TO_ROOM);
    expect([ledger.delivered(1), ledger.delivered(2), ledger.delivered(3)]).toEqual([false, true, true]);
  });

  test("own messages sent since an instant are broadcast again", () => {
    let now = 1000;
    const ledger = createDeliveryLedger(100, () => now);
    const resent: number[] = [];
    for (const id of [1, 2, 3]) {
      ledger.sent(id, () => resent.push(id));
      now += 100;
    }
    expect(ledger.resendSince(1100)).toBe(2);
    expect(resent).toEqual([2, 3]);
    // A minute later they are forgotten.
    now += 60_000;
    ledger.sent(4, () => resent.push(4));
    expect(ledger.resendSince(0)).toBe(1);
  });

  test("while held, other nodes' messages wait (undelivered) and come back in arrival order; passed and own ones go through", () => {
    const ledger = createDeliveryLedger();
    ledger.sent(30, () => {});
    ledger.hold();
    expect(ledger.admit(room(21), TO_ROOM)).toBe(false);
    expect(ledger.admit(dm(22), { rooms: new Set(["user:u"]) })).toBe(false);
    expect(ledger.admit(room(30), TO_ROOM)).toBe(true);
    expect(ledger.admit(["typing:update", { id: 1 }], TO_ROOM)).toBe(true);
    let passed = false;
    ledger.pass(() => (passed = ledger.admit(room(20), TO_ROOM)));
    expect(passed).toBe(true);
    expect([ledger.delivered(20), ledger.delivered(21), ledger.delivered(22)]).toEqual([true, false, false]);
    expect(ledger.release()).toEqual([
      { data: room(21), options: TO_ROOM },
      { data: dm(22), options: { rooms: new Set(["user:u"]) } },
    ]);
    // Released: admitted as usual, once.
    expect([ledger.admit(room(21), TO_ROOM), ledger.admit(room(21), TO_ROOM)]).toEqual([true, false]);
    expect(ledger.release()).toEqual([]);
  });

  test("a catch-up starts from the mark as it was 5 s before the drop: a lower id committed after a higher one was delivered is read back", () => {
    let now = 100_000;
    const ledger = createDeliveryLedger(100, () => now);
    ledger.raise(50);
    ledger.admit(room(90), TO_ROOM);
    now += 10_000;
    // Node C inserted 100 and is still committing; node B's 101 arrives first.
    ledger.admit(room(101), TO_ROOM);
    now += 1000;
    expect(ledger.remoteHigh).toBe(101);
    expect(ledger.catchUpFrom()).toBe(90);
    // Once 101 has been here for longer than a commit can trail it, it is where a catch-up starts.
    now += 5000;
    expect(ledger.catchUpFrom()).toBe(101);
    // This node's own messages and a late lower id delivered live do not move the mark.
    ledger.sent(120, () => {});
    ledger.admit(room(120), TO_ROOM);
    ledger.admit(room(100), TO_ROOM);
    now += 6000;
    expect(ledger.catchUpFrom()).toBe(101);
  });

  test("a catch-up never starts below the store's newest id at start, nor below an id the ledger has forgotten", () => {
    let now = 100_000;
    const ledger = createDeliveryLedger(2, () => now);
    ledger.raise(40);
    ledger.admit(room(41), TO_ROOM);
    // Started 1 s ago: what was stored before is history.
    now += 1000;
    expect(ledger.catchUpFrom()).toBe(40);
    for (const id of [42, 43]) ledger.admit(room(id), TO_ROOM);
    // 41 is forgotten: starting below it would deliver it twice.
    expect(ledger.delivered(41)).toBe(false);
    expect(ledger.catchUpFrom()).toBe(41);
  });
});
