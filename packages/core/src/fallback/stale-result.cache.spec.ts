import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from './fallback.policy.js';
import { StaleResultCache, staleCacheKey } from './stale-result.cache.js';

describe('StaleResultCache', () => {
  it('serves an entry up to maxAge old inclusive and drops it after', () => {
    const cache = new StaleResultCache(10);
    cache.remember('a', 'A', 100);
    expect(cache.lookup('a', 1_100, 1_000)).toEqual({ value: 'A', at: 100 });
    expect(cache.lookup('a', 1_101, 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refreshes value and time on a repeated success', () => {
    const cache = new StaleResultCache(10);
    cache.remember('a', 'A1', 0);
    cache.remember('a', 'A2', 500);
    expect(cache.size).toBe(1);
    expect(cache.lookup('a', 500, 0)).toEqual({ value: 'A2', at: 500 });
  });

  it('evicts the least recently used key (remembered or looked up)', () => {
    const cache = new StaleResultCache(2);
    cache.remember('a', 1, 0);
    cache.remember('b', 2, 0);
    cache.lookup('a', 0, 10);
    cache.remember('c', 3, 0);
    expect(cache.lookup('b', 0, 10)).toBeUndefined();
    expect(cache.lookup('a', 0, 10)?.value).toBe(1);
    expect(cache.lookup('c', 0, 10)?.value).toBe(3);
  });

  it('behaves like a reference LRU model and never exceeds maxEntries', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('remember' as const), key: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('lookup' as const), key: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (maxEntries, ops) => {
        const cache = new StaleResultCache(maxEntries);
        const model: string[] = []; // least recently used first
        ops.forEach((o, step) => {
          const key = String(o.key);
          const index = model.indexOf(key);
          if (o.kind === 'remember') {
            cache.remember(key, step, 0);
            if (index >= 0) model.splice(index, 1);
            else if (model.length >= maxEntries) model.shift();
            model.push(key);
          } else {
            const hit = cache.lookup(key, 0, 1) !== undefined;
            expect(hit).toBe(index >= 0);
            if (index >= 0) model.push(...model.splice(index, 1));
          }
          expect(cache.size).toBe(model.length);
          expect(cache.size).toBeLessThanOrEqual(maxEntries);
        });
      }),
    );
  });
});

describe('staleIfError memory per entry', () => {
  it('keeps at most ~128 characters of key per entry, however large the arguments', async () => {
    const fallback = new FallbackPolicy({ staleIfError: { maxAge: 60_000, maxEntries: 300 }, clock: new FakeClock() });
    const big = (i: number): string => `${i}:${'x'.repeat(1_000_000)}`;
    for (let i = 0; i < 300; i++) await fallback.run(async () => i, ExecutionScope.root, [big(i)]);
    const keys = [...(fallback as unknown as { cache: { entries: Map<string, unknown> } }).cache.entries.keys()];
    expect(keys).toHaveLength(300);
    for (const key of keys) expect(key.length).toBeLessThanOrEqual(128);
    // Still keyed by the arguments: the same megabyte argument finds its entry, another does not.
    const stale = await fallback.run(() => Promise.reject(new Error('down')), ExecutionScope.root, [big(7)]);
    expect(stale).toBe(7);
    await expect(fallback.run(() => Promise.reject(new Error('down')), ExecutionScope.root, [big(1_000)])).rejects.toThrow('down');
  });

  it('keeps short keys as they are', () => {
    expect(staleCacheKey('["sku-1"]')).toBe('["sku-1"]');
    expect(staleCacheKey('x'.repeat(129))).toMatch(/^sha256:[\w-]{43}$/);
  });
});
