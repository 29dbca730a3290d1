import { describe, expect, it } from '@jest/globals';
import { optionsEqual } from './options-equal.js';

class HttpError extends Error {}
class DbError extends Error {}

describe('optionsEqual', () => {
  it('compares plain objects and arrays by value, at any depth', () => {
    expect(optionsEqual({ maxRetries: 2, jitter: 'none' }, { jitter: 'none', maxRetries: 2 })).toBe(true);
    expect(optionsEqual({ window: { type: 'count', size: 10 } }, { window: { type: 'count', size: 10 } })).toBe(true);
    expect(optionsEqual({ window: { type: 'count', size: 10 } }, { window: { type: 'count', size: 20 } })).toBe(false);
    expect(optionsEqual({ durationBuckets: [5, 10] }, { durationBuckets: [5, 10] })).toBe(true);
    expect(optionsEqual({ durationBuckets: [5, 10] }, { durationBuckets: [10, 5] })).toBe(false);
    expect(optionsEqual([1], { 0: 1, length: 1 })).toBe(false);
    expect(optionsEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });

  it('compares functions, classes and other objects by identity', () => {
    expect(optionsEqual({ retryOn: [HttpError] }, { retryOn: [DbError] })).toBe(false);
    expect(optionsEqual({ retryOn: [HttpError] }, { retryOn: [HttpError] })).toBe(true);
    const predicate = (): boolean => true;
    expect(optionsEqual({ isFailure: predicate }, { isFailure: predicate })).toBe(true);
    expect(optionsEqual({ isFailure: predicate }, { isFailure: () => true })).toBe(false);
    const budget = { recordCall: () => undefined, tryRetry: () => true };
    expect(optionsEqual({ budget }, { budget })).toBe(true);
    expect(optionsEqual({ registry: new Map() }, { registry: new Map() })).toBe(false);
    expect(optionsEqual({ at: new Date(0) }, { at: new Date(0) })).toBe(false);
  });

  it('holds NaN equal to NaN, and an undefined key the same as an absent one', () => {
    expect(optionsEqual({ duration: Number.NaN }, { duration: Number.NaN })).toBe(true);
    expect(optionsEqual({ maxRetries: 2, jitter: undefined }, { maxRetries: 2 })).toBe(true);
    expect(optionsEqual(undefined, undefined)).toBe(true);
    expect(optionsEqual(undefined, {})).toBe(false);
    expect(optionsEqual(null, {})).toBe(false);
  });

  it('terminates on cycles', () => {
    const a: Record<string, unknown> = { x: 1 };
    a['self'] = a;
    const b: Record<string, unknown> = { x: 1 };
    b['self'] = b;
    expect(optionsEqual(a, a)).toBe(true);
    expect(optionsEqual(a, b)).toBe(false);
  });
});
