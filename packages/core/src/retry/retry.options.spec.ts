import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { DEFAULT_RETRY_OPTIONS, validateRetryOptions } from './retry.options.js';

class HttpError extends Error {}

describe('retry options', () => {
  it('has the article defaults', () => {
    expect(DEFAULT_RETRY_OPTIONS).toEqual({
      maxRetries: 3,
      baseDelay: 100,
      multiplier: 2,
      maxDelay: 10_000,
      jitter: 'full',
      retryOnCircuitOpen: false,
      retryOnBulkheadFull: false,
    });
    expect(Object.isFrozen(DEFAULT_RETRY_OPTIONS)).toBe(true);
  });

  it('accepts undefined, an empty object and every valid field', () => {
    expect(() => validateRetryOptions(undefined, 'retries.pricing')).not.toThrow();
    expect(() => validateRetryOptions({}, 'retries.pricing')).not.toThrow();
    expect(() =>
      validateRetryOptions(
        {
          maxRetries: 0,
          baseDelay: 0,
          multiplier: 1,
          maxDelay: 0,
          jitter: 'decorrelated',
          retryOn: [HttpError],
          retryOnResult: (value: unknown) => value === null,
          retryOnCircuitOpen: true,
          retryOnBulkheadFull: false,
          name: 'pricing',
          clock: new FakeClock(),
          random: () => 0.5,
        },
        'retries.pricing',
      ),
    ).not.toThrow();
    expect(() => validateRetryOptions({ retryOn: () => true, jitter: { apply: () => 1 } }, 'retries.pricing')).not.toThrow();
  });

  const cases: Array<[unknown, string]> = [
    [{ maxRetries: -1 }, 'retries.pricing.maxRetries must be a non-negative integer (got -1)'],
    [{ maxRetries: 1.5 }, 'retries.pricing.maxRetries must be a non-negative integer (got 1.5)'],
    [{ maxRetries: '3' }, 'retries.pricing.maxRetries must be a non-negative integer (got "3")'],
    [{ maxRetries: Number.POSITIVE_INFINITY }, 'retries.pricing.maxRetries must be a non-negative integer (got Infinity)'],
    [{ baseDelay: -1 }, 'retries.pricing.baseDelay must be a non-negative number (got -1)'],
    [{ baseDelay: Number.NaN }, 'retries.pricing.baseDelay must be a non-negative number (got NaN)'],
    [{ multiplier: 0.5 }, 'retries.pricing.multiplier must be a number >= 1 (got 0.5)'],
    [{ maxDelay: -1 }, 'retries.pricing.maxDelay must be a non-negative number (got -1)'],
    [{ maxDelay: 2 ** 31 }, 'retries.pricing.maxDelay must be at most 2147483647 ms (the longest timer delay) (got 2147483648)'],
    [{ jitter: 'fast' }, `retries.pricing.jitter must be one of 'full', 'equal', 'decorrelated', 'none' (got "fast")`],
    [{ retryOn: 42 }, 'retries.pricing.retryOn must be a predicate function or an array of error classes (got 42)'],
    [{ retryOn: [HttpError, 'TypeError'] }, 'retries.pricing.retryOn must be an array of error classes (got array of 2)'],
    [{ retryOnResult: true }, 'retries.pricing.retryOnResult must be a function (got true)'],
    [{ retryOnCircuitOpen: 'yes' }, 'retries.pricing.retryOnCircuitOpen must be a boolean (got "yes")'],
    [{ retryOnBulkheadFull: 1 }, 'retries.pricing.retryOnBulkheadFull must be a boolean (got 1)'],
    [{ name: '' }, 'retries.pricing.name must be a non-empty string (got "")'],
    [{ clock: { now: () => 0 } }, 'retries.pricing.clock must be a Clock (now, setTimeout, clearTimeout) (got object)'],
    [{ random: 'seeded' }, 'retries.pricing.random must be a function (got "seeded")'],
    [
      { maxRetry: 2 },
      'retries.pricing.maxRetry is not a known option (known: maxRetries, baseDelay, multiplier, maxDelay, jitter, retryOn, retryOnResult, retryOnCircuitOpen, retryOnBulkheadFull, retryAfter, budget) (got 2)',
    ],
    [null, 'retries.pricing must be an object (got null)'],
    [3, 'retries.pricing must be an object (got 3)'],
  ];
  for (const [options, message] of cases) {
    it(`rejects ${message.split(' ')[0]} = ${String(JSON.stringify(options))}`, () => {
      const validate = (): void => validateRetryOptions(options, 'retries.pricing');
      expect(validate).toThrow(InvalidOptionsError);
      expect(validate).toThrow(message);
    });
  }

  it('reports the path on the error', () => {
    try {
      validateRetryOptions({ maxRetries: -1 }, 'retries.pricing');
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as InvalidOptionsError).path).toBe('retries.pricing.maxRetries');
      expect((error as InvalidOptionsError).message).toBe('retries.pricing.maxRetries must be a non-negative integer (got -1)');
    }
  });
});
