// What both cluster adapters (Redis, Postgres) add to the local adapter for connection state
// recovery across nodes: the session searches this node runs, and telling a broadcast another node
// sent from one of its own while the local adapter records it for recovery.
import { LocalAdapter, type AdapterDeps } from "./local-adapter.ts";
import { SessionSearches } from "./session-handoff.ts";
import type { AdapterHost, AdapterSocket, BroadcastOptions } from "./types.ts";

export abstract class ClusterBaseAdapter extends LocalAdapter {
  protected readonly sessionSearches: SessionSearches;
  /** True while a broadcast from another node is handed to the local adapter (to tell it from our own). */
  private receiving = false;

  constructor(host: AdapterHost, deps: AdapterDeps, requestsTimeout: number) {
    super(host, deps);
    this.sessionSearches = new SessionSearches(requestsTimeout, deps.recoveryWindow ?? requestsTimeout);
  }

  protected override recorded(tagged: unknown[], options: BroadcastOptions): unknown[] {
    this.sessionSearches.recorded(tagged, options, this.receiving);
    return tagged;
  }

  override attach(socket: AdapterSocket): void {
    super.attach(socket);
    this.sessionSearches.attached(socket.id);
  }

  /** Hands a broadcast from another node to the local adapter (delivered, or only logged when none of its rooms is here). */
  protected receive(data: unknown[], options: BroadcastOptions, deliver: boolean): void {
    this.receiving = true;
    try {
      if (deliver) super.broadcast({ data }, options);
      else if (!options.flags?.volatile) this.recordUndelivered(data, options);
    } finally {
      this.receiving = false;
    }
  }

  override close(): void {
    this.sessionSearches.close();
    super.close();
  }
}
