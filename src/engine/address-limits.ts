// Per client address: a token bucket of handshakes (new Engine.IO sessions) and a cap on sessions
// still pending (opened, but not yet accepted by the layer above: for Socket.IO, no namespace
// CONNECT has succeeded on them). Bounds what one address can make the server hold before it has
// proven anything; both limits are off unless configured.
import type { AddressLimitOptions } from "./types.ts";

/** A pending session's hold on its address's count; released once (accepted, closed, or refused). */
export type Admission = { readonly address: string; released: boolean };

type AddressState = { tokens: number; refilledAt: number; pending: number };

// Addresses tracked at once; beyond, the least recently used idle one is forgotten (a fresh start).
const MAX_TRACKED = 100_000;

export class AddressLimits {
  private readonly states = new Map<string, AddressState>();

  constructor(
    private readonly options: AddressLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * An admission for one more handshake from `address`, or the milliseconds to wait before trying
   * again (a number) when the address is over a limit.
   */
  admit(address: string): Admission | number {
    const { handshakesPerSecond, handshakeBurst, pendingSessions } = this.options;
    const at = this.now();
    let state = this.states.get(address);
    if (state) {
      // Most recently used last: the map's order is the eviction order.
      this.states.delete(address);
      state.tokens = Math.min(handshakeBurst, state.tokens + ((at - state.refilledAt) * handshakesPerSecond) / 1000);
      state.refilledAt = at;
    } else {
      state = { tokens: handshakeBurst, refilledAt: at, pending: 0 };
    }
    this.states.set(address, state);
    this.evict();
    if (state.pending >= pendingSessions) return 1000;
    if (state.tokens < 1) return Math.ceil(((1 - state.tokens) * 1000) / handshakesPerSecond);
    state.tokens -= 1;
    state.pending++;
    return { address, released: false };
  }

  release(admission: Admission): void {
    if (admission.released) return;
    admission.released = true;
    const state = this.states.get(admission.address);
    if (state && state.pending > 0) state.pending--;
  }

  private evict(): void {
    if (this.states.size <= MAX_TRACKED) return;
    for (const [address, state] of this.states) {
      if (this.states.size <= MAX_TRACKED) return;
      if (state.pending === 0) this.states.delete(address);
    }
  }
}
