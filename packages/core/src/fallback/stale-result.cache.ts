/** One remembered successful result. Mutated in place on refresh, so a hit allocates nothing. */
interface StaleEntry {
  value: unknown;
  at: number;
}

/**
 * The last successful result per argument key, bounded to `maxEntries` with least-recently-used
 * eviction. A `Map` keeps insertion order, so delete+set on use moves a key to the young end and
 * the first key is always the eviction candidate: O(1) without a separate list.
 */
export class StaleResultCache {
  private readonly entries = new Map<string, StaleEntry>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  remember(key: string, value: unknown, at: number): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      entry.value = value;
      entry.at = at;
      this.entries.set(key, entry);
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, at });
  }

  /**
   * The entry for `key` if it is at most `maxAge` ms old at `now` (and marks it recently used);
   * an expired entry is dropped, since it can never be served again.
   */
  lookup(key: string, now: number, maxAge: number): StaleEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (now - entry.at > maxAge) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
