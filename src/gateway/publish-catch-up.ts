// After this node's publishing bus connection dropped and came back: its own broadcasts since
// shortly before the drop go out again. Until the bus has stayed up past the lookback, those resends
// may themselves have been lost, so a drop in that time looks back from the earlier outage's mark.
import type { Logger } from "../lib/logger.ts";
import type { DeliveryLedger } from "./delivery-ledger.ts";

/** How far before a noticed drop of the publishing connection its broadcasts are sent again (longer than a drop takes to notice). */
const PUBLISH_LOOKBACK_MS = 5000;

export type PublishCatchUp = ReturnType<typeof createPublishCatchUp>;

export function createPublishCatchUp(ledger: Pick<DeliveryLedger, "resendSince">, logger: Logger, now: () => number = Date.now) {
  // Since when this node's own broadcasts may not have reached the other nodes; undefined before any drop.
  let unconfirmedSince: number | undefined;
  // When the connection came back (undefined while it is down): up longer than the lookback, the
  // resends sent then are taken as delivered, as a failure would have been noticed by then.
  let upSince: number | undefined;
  let down = false;

  return {
    /** The publishing connection dropped: broadcasts from now on (and shortly before) may be lost. */
    dropped(): void {
      const at = now();
      if (upSince !== undefined && at - upSince >= PUBLISH_LOOKBACK_MS) unconfirmedSince = undefined;
      upSince = undefined;
      down = true;
      unconfirmedSince = Math.min(unconfirmedSince ?? Infinity, at - PUBLISH_LOOKBACK_MS);
    },

    /** The publishing connection is back: this node's own messages since the earliest unconfirmed instant go out again. */
    resumed(): void {
      if (!down || unconfirmedSince === undefined) return;
      down = false;
      upSince = now();
      const resent = ledger.resendSince(unconfirmedSince);
      if (resent > 0) logger.info("own messages published again after a bus outage", { messages: resent });
    },
  };
}
