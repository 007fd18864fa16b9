// One polling → WebSocket upgrade attempt: the probe WebSocket, `2probe` → `3probe`, then `5`,
// bounded by upgradeTimeout. Polling is paused while the probe stands (every GET gets a noop).
import { decodePacket } from "./parser.ts";
import type { PollingTransport } from "./polling-transport.ts";
import type { HttpPort } from "./server.ts";
import type { WsConnection } from "./transport.ts";

/** What an upgrade reports back to its session. */
export interface UpgradeOwner {
  /** `5` arrived after the probe: the WebSocket takes over. */
  upgraded(upgrade: Upgrade): void;
  /** The attempt is over without an upgrade (timeout, bad frame, probe closed). */
  upgradeAbandoned(upgrade: Upgrade): void;
}

export class Upgrade {
  private probed = false;
  private readonly timer: Timer;

  constructor(
    readonly ws: WsConnection,
    /** The HTTP server the probe came through. */
    readonly port: HttpPort,
    private readonly polling: PollingTransport,
    private readonly owner: UpgradeOwner,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(upgradeTimedOut, timeoutMs, this);
  }

  /** A frame on the probe WebSocket. */
  frame(frame: string | Uint8Array): void {
    const decoded = decodePacket(frame);
    if (decoded.ok && decoded.value.type === "ping" && decoded.value.data === "probe" && !this.probed) {
      this.ws.send("3probe");
      this.probed = true;
      this.polling.pause();
      return;
    }
    if (decoded.ok && decoded.value.type === "upgrade" && this.probed) {
      clearTimeout(this.timer);
      this.owner.upgraded(this);
      return;
    }
    // Anything else before the upgrade completes aborts it (the reference does the same).
    this.abort(true);
  }

  /** Ends the attempt; polling resumes. `closeProbe`: false when the probe is already closed. */
  abort(closeProbe: boolean): void {
    clearTimeout(this.timer);
    this.owner.upgradeAbandoned(this);
    if (closeProbe) this.ws.close(1000, "upgrade aborted");
    this.polling.resume();
  }
}

// A shared timer callback instead of a closure per attempt.
function upgradeTimedOut(upgrade: Upgrade): void {
  upgrade.abort(true);
}
