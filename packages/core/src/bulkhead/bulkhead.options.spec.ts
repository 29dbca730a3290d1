import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { DEFAULT_BULKHEAD_OPTIONS, validateBulkheadOptions } from './bulkhead.options.js';
import { BulkheadPolicy } from './bulkhead.policy.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidOptionsError');
}

describe('bulkhead options', () => {
  it('defaults to 10 concurrent calls and no queue', () => {
    expect(DEFAULT_BULKHEAD_OPTIONS).toEqual({ maxConcurrent: 10, maxQueue: 0 });
    expect(Object.isFrozen(DEFAULT_BULKHEAD_OPTIONS)).toBe(true);
  });

  it('accepts defaults, valid values, name and clock', () => {
    expect(() => validateBulkheadOptions(undefined, 'bulkheads.reports')).not.toThrow();
    expect(() => validateBulkheadOptions({}, 'bulkheads.reports')).not.toThrow();
    expect(() =>
      validateBulkheadOptions({ name: 'reports', clock: new FakeClock(), maxConcurrent: 4, maxQueue: 0 }, 'bulkheads.reports'),
    ).not.toThrow();
  });

  it('names the policy and the field in its messages', () => {
    expect(messageOf(() => validateBulkheadOptions({ maxConcurrent: 0 }, 'bulkheads.reports'))).toBe(
      'bulkheads.reports.maxConcurrent must be a positive integer (got 0)',
    );
    expect(messageOf(() => validateBulkheadOptions({ maxQueue: -1 }, 'bulkheads.reports'))).toBe(
      'bulkheads.reports.maxQueue must be a non-negative integer (got -1)',
    );
    expect(messageOf(() => validateBulkheadOptions({ maxConcurent: 4 }, 'bulkheads.reports'))).toBe(
      'bulkheads.reports.maxConcurent is not a known option (known: maxConcurrent, maxQueue) (got 4)',
    );
    expect(messageOf(() => validateBulkheadOptions(5, 'bulkheads.reports'))).toBe('bulkheads.reports must be an object (got 5)');
    expect(messageOf(() => validateBulkheadOptions({ name: 3 }, 'bulkheads.reports'))).toBe(
      'bulkheads.reports.name must be a non-empty string (got 3)',
    );
  });

  it('rejects NaN, fractions, Infinity and strings', () => {
    for (const maxConcurrent of [Number.NaN, 1.5, Infinity, '4']) {
      expect(() => validateBulkheadOptions({ maxConcurrent }, 'b')).toThrow(InvalidOptionsError);
    }
    for (const maxQueue of [Number.NaN, 0.5, -Infinity, null]) {
      expect(() => validateBulkheadOptions({ maxQueue }, 'b')).toThrow(InvalidOptionsError);
    }
  });

  it('accepts exactly the positive integers for maxConcurrent and the non-negative ones for maxQueue', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000, max: 1_000 }), (n) => {
        const concurrentOk = (() => { try { validateBulkheadOptions({ maxConcurrent: n }, 'b'); return true; } catch { return false; } })();
        const queueOk = (() => { try { validateBulkheadOptions({ maxQueue: n }, 'b'); return true; } catch { return false; } })();
        expect(concurrentOk).toBe(n > 0);
        expect(queueOk).toBe(n >= 0);
      }),
    );
  });

  it('is applied by the constructor, under bulkheads.<name>', () => {
    expect(messageOf(() => new BulkheadPolicy({ name: 'reports', maxConcurrent: -2 }))).toBe(
      'bulkheads.reports.maxConcurrent must be a positive integer (got -2)',
    );
    expect(messageOf(() => new BulkheadPolicy({ maxQueue: 1.5 }))).toBe('bulkheads.bulkhead.maxQueue must be a non-negative integer (got 1.5)');
  });
});
