import { createHash } from 'node:crypto';

/** Keys up to this many characters are kept as they are; longer ones by their SHA-256 digest. */
export const MAX_PLAIN_STALE_KEY_LENGTH = 128;

/**
 * The key a result is remembered under: the arguments' key itself when short, else its SHA-256
 * digest (base64url, 51 characters with its prefix), so a cache entry costs at most ~128
 * characters of key however large the arguments a caller passes (a megabyte of JSON would
 * otherwise be kept once per entry). Hashing only happens for long keys.
 */
export function staleCacheKey(key: string): string {
  if (key.length <= MAX_PLAIN_STALE_KEY_LENGTH) return key;
  return `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

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
