import { describe, expect, it } from '@jest/globals';
import { exponentialBackoff } from '../backoff/exponential.backoff.js';
import { validateBulkheadOptions } from '../bulkhead/bulkhead.options.js';
import { validateCircuitBreakerOptions } from '../circuit-breaker/circuit-breaker.options.js';
import { KeyedCircuitBreakers } from '../circuit-breaker/keyed-circuit-breakers.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { validateFallbackOptions } from '../fallback/fallback.options.js';
import { validateRetryOptions } from '../retry/retry.options.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { validateTimeoutOptions } from '../timeout/timeout.options.js';
import {
  MAX_BULKHEAD_QUEUE,
  MAX_COUNT_WINDOW_SIZE,
  MAX_KEYS,
  MAX_RETRIES,
  MAX_STALE_ENTRIES,
  MAX_TIMER_DELAY_MS,
} from './option-limits.js';

const TIMER = 'must be at most 2147483647 ms (the longest timer delay)';

function messageOf(validate: () => void): string | undefined {
  try {
    validate();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
}

describe('option limits', () => {
  it('are the longest timer delay and memory bounds', () => {
    expect(MAX_TIMER_DELAY_MS).toBe(2 ** 31 - 1);
    expect([MAX_COUNT_WINDOW_SIZE, MAX_RETRIES, MAX_KEYS, MAX_STALE_ENTRIES, MAX_BULKHEAD_QUEUE]).toEqual([100_000, 100, 100_000, 1_000_000, 100_000]);
  });

  it.each<[string, () => void, string]>([
    ['a timeout in ms', () => validateTimeoutOptions(3e9, 'timeouts.x'), `timeouts.x ${TIMER} (got 3000000000)`],
    ['a timeout duration', () => validateTimeoutOptions({ duration: 2 ** 31 }, 'timeouts.x'), `timeouts.x.duration ${TIMER} (got 2147483648)`],
    ['a recovery timeout', () => validateCircuitBreakerOptions({ recoveryTimeout: 3e9 }, 'cb'), `cb.recoveryTimeout ${TIMER} (got 3000000000)`],
    ['a slow-call threshold', () => validateCircuitBreakerOptions({ slowCallDurationThreshold: 3e9 }, 'cb'), `cb.slowCallDurationThreshold ${TIMER} (got 3000000000)`],
    [
      'a time window',
      () => validateCircuitBreakerOptions({ window: { type: 'time', durationMs: 3e9 } }, 'cb'),
      `cb.window.durationMs ${TIMER} (got 3000000000)`,
    ],
    ['a key idle timeout', () => validateCircuitBreakerOptions({ keyIdleTimeout: 3e9 }, 'cb'), `cb.keyIdleTimeout ${TIMER} (got 3000000000)`],
    ['a retry base delay', () => validateRetryOptions({ baseDelay: 3e9 }, 'retries.r'), `retries.r.baseDelay ${TIMER} (got 3000000000)`],
    ['a retry delay cap', () => validateRetryOptions({ maxDelay: 3e9 }, 'retries.r'), `retries.r.maxDelay ${TIMER} (got 3000000000)`],
    ['a backoff base delay', () => exponentialBackoff({ baseDelay: 3e9 }), `exponentialBackoff.baseDelay ${TIMER} (got 3000000000)`],
    [
      'a stale maxAge',
      () => validateFallbackOptions({ staleIfError: { maxAge: 3e9 } }, 'fallbacks.f'),
      `fallbacks.f.staleIfError.maxAge ${TIMER} (got 3000000000)`,
    ],
    [
      'a family idle timeout',
      () => new KeyedCircuitBreakers({ name: 'k', create: () => undefined as never, idleTimeoutMs: 3e9 }),
      `keyedCircuitBreakers.k.idleTimeoutMs ${TIMER} (got 3000000000)`,
    ],
    [
      'a count window size',
      () => validateCircuitBreakerOptions({ window: { type: 'count', size: 100_001 } }, 'cb'),
      'cb.window.size must be at most 100000 (the window keeps every call, allocated up front) (got 100001)',
    ],
    ['maxRetries', () => validateRetryOptions({ maxRetries: 101 }, 'retries.r'), 'retries.r.maxRetries must be at most 100 (got 101)'],
    ['maxKeys', () => validateCircuitBreakerOptions({ maxKeys: 100_001 }, 'cb'), 'cb.maxKeys must be at most 100000 (each key keeps a breaker in memory) (got 100001)'],
    [
      'a family maxKeys',
      () => new KeyedCircuitBreakers({ name: 'k', create: () => undefined as never, maxKeys: 1e9 }),
      'keyedCircuitBreakers.k.maxKeys must be at most 100000 (each key keeps a breaker in memory) (got 1000000000)',
    ],
    [
      'staleIfError.maxEntries',
      () => validateFallbackOptions({ staleIfError: { maxAge: 1, maxEntries: 1_000_001 } }, 'fallbacks.f'),
      'fallbacks.f.staleIfError.maxEntries must be at most 1000000 (each entry keeps a result in memory) (got 1000001)',
    ],
    [
      'a bulkhead queue',
      () => validateBulkheadOptions({ maxQueue: 100_001 }, 'bulkheads.b'),
      'bulkheads.b.maxQueue must be at most 100000 (each waiting call is held in memory) (got 100001)',
    ],
  ])('refuse %s above its bound, naming the field', (_, validate, message) => {
    expect(messageOf(validate)).toBe(message);
  });

  it('accept every value at its bound (and Infinity as the no-slow-call default)', () => {
    const max = MAX_TIMER_DELAY_MS;
    expect(messageOf(() => validateTimeoutOptions(max, 'timeouts.x'))).toBeUndefined();
    expect(
      messageOf(() =>
        validateCircuitBreakerOptions(
          { recoveryTimeout: max, slowCallDurationThreshold: max, keyIdleTimeout: max, maxKeys: MAX_KEYS, window: { type: 'time', durationMs: max } },
          'cb',
        ),
      ),
    ).toBeUndefined();
    expect(messageOf(() => validateCircuitBreakerOptions({ slowCallDurationThreshold: Infinity, window: { type: 'count', size: MAX_COUNT_WINDOW_SIZE } }, 'cb'))).toBeUndefined();
    expect(messageOf(() => validateRetryOptions({ maxRetries: MAX_RETRIES, baseDelay: max, maxDelay: max }, 'retries.r'))).toBeUndefined();
    expect(messageOf(() => validateFallbackOptions({ staleIfError: { maxAge: max, maxEntries: MAX_STALE_ENTRIES } }, 'fallbacks.f'))).toBeUndefined();
    expect(messageOf(() => validateBulkheadOptions({ maxQueue: MAX_BULKHEAD_QUEUE }, 'bulkheads.b'))).toBeUndefined();
  });

  it('a timeout policy refuses a duration no timer can wait for', () => {
    expect(() => new TimeoutPolicy({ name: 'x', duration: 3e9 })).toThrow(InvalidOptionsError);
    expect(() => new TimeoutPolicy(3e9)).toThrow(/must be at most 2147483647 ms/);
  });
});
