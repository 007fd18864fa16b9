// Session snapshots of the Redis adapter's nodes (connection state recovery after a crash): one hash
// per node and namespace, `<key>-session#<nsp>#<node uid>#`, pid → snapshot JSON, whose expiry the
// node pushes back while it lives (its lease). A node is known dead when Redis no longer counts a
// subscriber on its own response channel: a killed process's connection is closed by its kernel.
import type { RedisPublisher } from "./redis-client.ts";
import { leaseTtl, type SnapshotStore } from "./session-snapshots.ts";

/** KEYS[1]: the hash; ARGV: ttl, how many pids to remove, those pids, then pid/snapshot pairs to write. */
const SAVE_SCRIPT = `
local removed = tonumber(ARGV[2])
for i = 3, 2 + removed do redis.call('HDEL', KEYS[1], ARGV[i]) end
local first = 3 + removed
if #ARGV >= first then
  for i = first, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end`;

export class RedisSessionStore implements SnapshotStore {
  private readonly ownKey: string;
  private readonly ttl: string;

  /** `responseChannel`: the namespace's response channel, to which a node's uid and `#` name its own. */
  constructor(
    private readonly redis: RedisPublisher,
    private readonly key: string,
    private readonly namespace: string,
    private readonly responseChannel: string,
    uid: string,
    window: number,
  ) {
    this.ownKey = this.keyOf(uid);
    this.ttl = String(leaseTtl(window));
  }

  private keyOf(uid: string): string {
    return `${this.key}-session#${this.namespace}#${uid}#`;
  }

  async save(written: ReadonlyMap<string, string>, removed: readonly string[]): Promise<void> {
    // One script: the hash never exists without its expiry (a node killed between an HSET and its
    // PEXPIRE would leave a hash no one removes).
    await this.redis.call("EVAL", SAVE_SCRIPT, "1", this.ownKey, this.ttl, String(removed.length), ...removed, ...[...written].flat());
  }

  async renew(): Promise<void> {
    await this.redis.call("PEXPIRE", this.ownKey, this.ttl);
  }

  /** Whether node `holder` is still on the bus, and its snapshot of `pid` if it left one. */
  async lookup(holder: string, pid: string): Promise<{ alive: boolean; snapshot: unknown }> {
    const [subscribers, snapshot] = await Promise.all([
      this.redis.call("PUBSUB", "NUMSUB", `${this.responseChannel}${holder}#`),
      this.redis.call("HGET", this.keyOf(holder), pid),
    ]);
    const count = Array.isArray(subscribers) ? Number(subscribers[1]) : Number.NaN;
    // Anything but a clear zero counts as alive: a snapshot is never used while its node may hold the socket.
    return { alive: count !== 0, snapshot };
  }

  /** Removes the snapshot; true for the one node whose HDEL removed it. */
  async claim(holder: string, pid: string): Promise<boolean> {
    return Number(await this.redis.call("HDEL", this.keyOf(holder), pid)) === 1;
  }
}
