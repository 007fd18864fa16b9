// Publishing again after the publishing bus connection dropped (src/gateway/publish-catch-up.ts):
// own messages since 5 s before the drop go out again once it is back, and a second drop before the
// bus has stayed up past that lookback still covers the first outage's messages.
import { describe, expect, test } from "bun:test";
import { createDeliveryLedger } from "../../src/gateway/delivery-ledger.ts";
import { createPublishCatchUp } from "../../src/gateway/publish-catch-up.ts";
import { silentLogger } from "../../src/lib/logger.ts";

function scene() {
  const clock = { now: 1_000_000 };
  const ledger = createDeliveryLedger(1000, () => clock.now);
  const publishing = createPublishCatchUp(ledger, silentLogger, () => clock.now);
  const resent: number[] = [];
  const send = (id: number): void => ledger.sent(id, () => resent.push(id));
  /** What was published again by `act`, oldest first. */
  const resentBy = (act: () => void): number[] => {
    resent.length = 0;
    act();
    return [...resent];
  };
  return { clock, publishing, send, resentBy };
}

describe("publishing again after the publishing connection dropped", () => {
  test("own messages since 5 s before the drop go out again once, when it is back", () => {
    const { clock, publishing, send, resentBy } = scene();
    send(1);
    clock.now += 10_000;
    send(2);
    clock.now += 1000;
    publishing.dropped();
    send(3);
    expect(resentBy(() => publishing.resumed())).toEqual([2, 3]);
    // Back already: nothing more to publish.
    expect(resentBy(() => publishing.resumed())).toEqual([]);
  });

  test("a second drop while the resends go out: the next resume publishes the first outage's messages again too", () => {
    const { clock, publishing, send, resentBy } = scene();
    send(1);
    clock.now += 1000;
    publishing.dropped();
    clock.now += 20_000;
    send(2);
    expect(resentBy(() => publishing.resumed())).toEqual([1, 2]);
    // The connection drops again a second later: those resends may all have been lost.
    clock.now += 1000;
    publishing.dropped();
    clock.now += 1000;
    send(3);
    expect(resentBy(() => publishing.resumed())).toEqual([1, 2, 3]);
  });

  test("once the bus has stayed up past the lookback, the next drop looks back 5 s only", () => {
    const { clock, publishing, send, resentBy } = scene();
    send(1);
    clock.now += 1000;
    publishing.dropped();
    expect(resentBy(() => publishing.resumed())).toEqual([1]);
    clock.now += 10_000;
    send(2);
    clock.now += 10_000;
    send(3);
    clock.now += 1000;
    publishing.dropped();
    expect(resentBy(() => publishing.resumed())).toEqual([3]);
  });
});
