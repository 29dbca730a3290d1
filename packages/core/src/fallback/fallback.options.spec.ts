import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { validateFallbackOptions } from './fallback.options.js';
import { FallbackPolicy } from './fallback.policy.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidOptionsError');
}

const path = 'fallbacks.pricing';

describe('fallback options', () => {
  it('accepts every documented option', () => {
    expect(() => validateFallbackOptions(undefined, path)).not.toThrow();
    expect(() => validateFallbackOptions({}, path)).not.toThrow();
    expect(() =>
      validateFallbackOptions(
        {
          name: 'pricing',
          clock: new FakeClock(),
          value: 0,
          handler: () => 1,
          on: [TimeoutError],
          staleIfError: { maxAge: 60_000, maxEntries: 10, map: (v: unknown) => v },
          key: (sku: string) => sku,
        },
        path,
      ),
    ).not.toThrow();
    expect(() => validateFallbackOptions({ on: () => true, value: undefined }, path)).not.toThrow();
  });

  it('names the policy and the field in its messages', () => {
    expect(messageOf(() => validateFallbackOptions({ staleIfError: { maxAge: 0 } }, path))).toBe(
      'fallbacks.pricing.staleIfError.maxAge must be a positive number (got 0)',
    );
    expect(messageOf(() => validateFallbackOptions({ staleIfError: {} }, path))).toBe(
      'fallbacks.pricing.staleIfError.maxAge must be a positive number (got undefined)',
    );
    expect(messageOf(() => validateFallbackOptions({ staleIfError: { maxAge: 10, maxEntries: 1.5 } }, path))).toBe(
      'fallbacks.pricing.staleIfError.maxEntries must be a positive integer (got 1.5)',
    );
    expect(messageOf(() => validateFallbackOptions({ staleIfError: { maxAge: 10, maxAgeMs: 5 } }, path))).toBe(
      'fallbacks.pricing.staleIfError.maxAgeMs is not a known option (known: maxAge, maxEntries, map) (got 5)',
    );
    expect(messageOf(() => validateFallbackOptions({ vaule: 1 }, path))).toBe(
      'fallbacks.pricing.vaule is not a known option (known: value, handler, on, onResult, staleIfError, key) (got 1)',
    );
    expect(messageOf(() => validateFallbackOptions({ on: 'TimeoutError' }, path))).toBe(
      'fallbacks.pricing.on must be an array of error classes or a predicate function (got "TimeoutError")',
    );
    expect(messageOf(() => validateFallbackOptions({ on: [TimeoutError, 'x'] }, path))).toBe(
      'fallbacks.pricing.on must be an array of error classes or a predicate function (got array of 2)',
    );
    expect(messageOf(() => validateFallbackOptions({ handler: 3 }, path))).toBe('fallbacks.pricing.handler must be a function (got 3)');
    expect(messageOf(() => validateFallbackOptions({ key: 'sku' }, path))).toBe('fallbacks.pricing.key must be a function (got "sku")');
    expect(messageOf(() => validateFallbackOptions({ staleIfError: { maxAge: 10, map: {} } }, path))).toBe(
      'fallbacks.pricing.staleIfError.map must be a function (got object)',
    );
    expect(messageOf(() => validateFallbackOptions(null, path))).toBe('fallbacks.pricing must be an object (got null)');
  });

  it('rejects non-finite and negative maxAge', () => {
    for (const maxAge of [Number.NaN, Infinity, -1, '1000']) {
      expect(() => validateFallbackOptions({ staleIfError: { maxAge } }, path)).toThrow(InvalidOptionsError);
    }
  });

  it('is applied by the constructor, under fallbacks.<name>', () => {
    expect(messageOf(() => new FallbackPolicy({ name: 'pricing', staleIfError: { maxAge: -5 } }))).toBe(
      'fallbacks.pricing.staleIfError.maxAge must be a positive number (got -5)',
    );
    expect(messageOf(() => new FallbackPolicy({ handler: 'cachedPrice' as never }))).toBe(
      'fallbacks.fallback.handler must be a function (got "cachedPrice")',
    );
  });
});
