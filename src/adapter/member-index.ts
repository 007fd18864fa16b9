// Sets of members by key (sockets by room, rooms by socket) that store a lone member as the bare
// string: most sockets join one room and most user channels hold one socket, and a Set of one costs
// ~300 B more. Read through the ReadonlyMap<key, ReadonlySet> face the adapter API exposes.
type Members = string | Set<string>;

const NONE: readonly string[] = Object.freeze([]);

const asSet = (members: Members): ReadonlySet<string> => (typeof members === "string" ? new Set([members]) : members);

export class MemberIndex implements ReadonlyMap<string, ReadonlySet<string>> {
  private readonly byKey = new Map<string, Members>();

  /** Adds `member` under `key`; false when it was there already. */
  add(key: string, member: string): boolean {
    const members = this.byKey.get(key);
    if (members === undefined) this.byKey.set(key, member);
    else if (typeof members === "string") {
      if (members === member) return false;
      this.byKey.set(key, new Set([members, member]));
    } else {
      if (members.has(member)) return false;
      members.add(member);
    }
    return true;
  }

  /** Removes `member` from `key` (the key goes with its last member); false when it was not there. */
  remove(key: string, member: string): boolean {
    const members = this.byKey.get(key);
    if (members === undefined) return false;
    if (typeof members === "string") {
      if (members !== member) return false;
      this.byKey.delete(key);
      return true;
    }
    if (!members.delete(member)) return false;
    // Back to the bare string at one member, so a room that shrinks costs what a new one does.
    if (members.size === 1) this.byKey.set(key, members.values().next().value as string);
    return true;
  }

  /** Forgets a key and its members. */
  removeKey(key: string): void {
    this.byKey.delete(key);
  }

  hasMember(key: string, member: string): boolean {
    const members = this.byKey.get(key);
    return typeof members === "string" ? members === member : (members?.has(member) ?? false);
  }

  countOf(key: string): number {
    const members = this.byKey.get(key);
    return members === undefined ? 0 : typeof members === "string" ? 1 : members.size;
  }

  /** Some member of `key` (the only one when countOf is 1). */
  firstOf(key: string): string | undefined {
    const members = this.byKey.get(key);
    return typeof members === "string" ? members : members?.values().next().value;
  }

  /** The members of `key`, without copying (a string member is never iterated as characters). */
  membersOf(key: string): Iterable<string> {
    const members = this.byKey.get(key);
    return members === undefined ? NONE : typeof members === "string" ? [members] : members;
  }

  // ---- ReadonlyMap<string, ReadonlySet<string>> ----------------------------------------------

  get size(): number {
    return this.byKey.size;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The key's members: the index's own Set, or a new one for a lone member. */
  get(key: string): ReadonlySet<string> | undefined {
    const members = this.byKey.get(key);
    return members === undefined ? undefined : asSet(members);
  }

  keys(): MapIterator<string> {
    return this.byKey.keys();
  }

  *values(): MapIterator<ReadonlySet<string>> {
    for (const members of this.byKey.values()) yield asSet(members);
  }

  *entries(): MapIterator<[string, ReadonlySet<string>]> {
    for (const [key, members] of this.byKey) yield [key, asSet(members)];
  }

  [Symbol.iterator](): MapIterator<[string, ReadonlySet<string>]> {
    return this.entries();
  }

  forEach(callback: (value: ReadonlySet<string>, key: string, map: ReadonlyMap<string, ReadonlySet<string>>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
