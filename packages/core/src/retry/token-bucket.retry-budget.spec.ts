import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { validateRetryBudgetOptions, type RetryBudgetOptions } from './retry-budget.options.js';
import { TokenBucketRetryBudget } from './token-bucket.retry-budget.js';

function bucket(options: Omit<RetryBudgetOptions, 'clock'>, start = 5_000) {
  const clock = new FakeClock(start);
  return { clock, budget: new TokenBucketRetryBudget({ ...options, clock }) };
}

/** Retries granted in a row until the budget refuses one. */
function retriesUntilRefused(budget: TokenBucketRetryBudget): number {
  let granted = 0;
  while (budget.tryRetry()) granted++;
  return granted;
}

describe('TokenBucketRetryBudget', () => {
  describe('defaults', () => {
    it('trickles 10 tokens a second into a bucket of 10 that starts full', () => {
      const { budget } = bucket({ ratio: 0.2 });
      expect(budget.ratio).toBe(0.2);
      expect(budget.minRetriesPerSecond).toBe(10);
      expect(budget.maxTokens).toBe(10);
      expect(budget.tokens).toBe(10);
    });

    it('holds one second of a larger trickle by default', () => {
      const { budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 50 });
      expect(budget.maxTokens).toBe(50);
      expect(budget.tokens).toBe(50);
    });

    it('keeps a floor of 10 tokens without a trickle', () => {
      expect(bucket({ ratio: 0.1, minRetriesPerSecond: 0 }).budget.maxTokens).toBe(10);
    });
  });

  describe('token arithmetic', () => {
    it('grants one retry per whole token, then refuses', () => {
      const { budget } = bucket({ ratio: 0.5, minRetriesPerSecond: 0, maxTokens: 3 });
      expect(retriesUntilRefused(budget)).toBe(3);
      expect(budget.tokens).toBe(0);
      budget.recordCall();
      expect(budget.tryRetry()).toBe(false); // half a token is not a retry
      expect(budget.tokens).toBe(0.5);
      budget.recordCall();
      expect(budget.tryRetry()).toBe(true);
      expect(budget.tokens).toBe(0);
    });

    it('grants the tenth call’s token despite floating-point drift (ten deposits of 0.1)', () => {
      const { budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 0, maxTokens: 5 });
      budget.tokens = 0;
      for (let i = 0; i < 9; i++) budget.recordCall();
      expect(budget.tryRetry()).toBe(false);
      budget.recordCall();
      expect(budget.tryRetry()).toBe(true);
      expect(budget.tokens).toBe(0);
    });

    it('caps deposits at maxTokens', () => {
      const { budget } = bucket({ ratio: 1, minRetriesPerSecond: 0, maxTokens: 4 });
      for (let i = 0; i < 100; i++) budget.recordCall();
      expect(budget.tokens).toBe(4);
      expect(retriesUntilRefused(budget)).toBe(4);
    });

    it('refills at minRetriesPerSecond from the clock, lazily and up to maxTokens', () => {
      const { clock, budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 10, maxTokens: 20 });
      expect(retriesUntilRefused(budget)).toBe(20);
      clock.advance(250);
      expect(budget.tokens).toBeCloseTo(2.5, 9);
      expect(retriesUntilRefused(budget)).toBe(2);
      clock.advance(50); // 0.5 left + 0.5
      expect(budget.tryRetry()).toBe(true);
      expect(budget.tryRetry()).toBe(false);
      clock.advance(60_000);
      expect(budget.tokens).toBe(20);
      expect(clock.pendingTimers).toBe(0); // no timer: the trickle is computed when read
    });

    it('exhausts under a burst of failures, then recovers through the trickle', () => {
      const { clock, budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 4, maxTokens: 10 });
      let granted = 0;
      for (let i = 0; i < 50; i++) {
        budget.recordCall();
        if (budget.tryRetry()) granted++;
      }
      // 10 saved + 49 x 0.1: the first deposit fell on a full bucket.
      expect(granted).toBe(14);
      expect(budget.tokens).toBeCloseTo(0.9, 9);
      expect(budget.tryRetry()).toBe(false);
      clock.advance(1_000);
      expect(retriesUntilRefused(budget)).toBe(4);
      clock.advance(24);
      expect(budget.tryRetry()).toBe(false);
      clock.advance(1);
      expect(budget.tryRetry()).toBe(true);
    });

    it('adds nothing while the clock steps back, and restarts the trickle from there', () => {
      let now = 10_000;
      const fake = new FakeClock();
      const clock = { now: () => now, setTimeout: fake.setTimeout.bind(fake), clearTimeout: fake.clearTimeout.bind(fake) };
      const budget = new TokenBucketRetryBudget({ ratio: 0.1, minRetriesPerSecond: 1, maxTokens: 10, clock });
      budget.tokens = 0;
      now = 4_000; // a wall clock set back
      expect(budget.tokens).toBe(0);
      now = 5_000;
      expect(budget.tokens).toBeCloseTo(1, 9);
    });

    it('honours the ratio over 1,000 failing calls within one token (property)', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0.001, max: 1, noNaN: true }),
          fc.integer({ min: 1, max: 1_500 }),
          fc.array(fc.boolean(), { minLength: 1_000, maxLength: 1_000 }),
          (ratio, maxTokens, retryAfter) => {
            const { budget } = bucket({ ratio, minRetriesPerSecond: 0, maxTokens });
            budget.tokens = 0;
            let granted = 0;
            for (let i = 0; i < 1_000; i++) {
              budget.recordCall();
              // Some calls retry at once, others leave their deposit in the bucket.
              if (retryAfter[i]) granted += retriesUntilRefused(budget);
            }
            granted += retriesUntilRefused(budget);
            const share = 1_000 * ratio;
            expect(granted).toBeLessThanOrEqual(share + 1e-6);
            // A bucket that never filled up lost no deposit: all but the last fraction was spent.
            if (maxTokens >= share + 1) expect(granted).toBeGreaterThan(share - 1);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('grants retries up to 10% of 1,000 failing calls, within one token', () => {
      const { budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 0, maxTokens: 10 });
      budget.tokens = 0;
      let granted = 0;
      for (let i = 0; i < 1_000; i++) {
        budget.recordCall();
        if (budget.tryRetry()) granted++;
      }
      expect(Math.abs(granted - 100)).toBeLessThanOrEqual(1);
    });
  });

  describe('sync for a shared store', () => {
    it('counts calls, retries granted and refused since the last drain', () => {
      const { budget } = bucket({ ratio: 0.5, minRetriesPerSecond: 0, maxTokens: 1 });
      budget.recordCall();
      budget.recordCall();
      budget.recordCall();
      expect(budget.tryRetry()).toBe(true);
      expect(budget.tryRetry()).toBe(false);
      expect(budget.tryRetry()).toBe(false);
      expect(budget.drain()).toEqual({ calls: 3, retries: 1, refused: 2 });
      expect(budget.drain()).toEqual({ calls: 0, retries: 0, refused: 0 });
      budget.recordCall();
      expect(budget.drain()).toEqual({ calls: 1, retries: 0, refused: 0 });
    });

    it('takes a token without counting it', () => {
      const { budget } = bucket({ ratio: 0.5, minRetriesPerSecond: 0, maxTokens: 1 });
      expect(budget.take()).toBe(true);
      expect(budget.take()).toBe(false);
      expect(budget.drain()).toEqual({ calls: 0, retries: 0, refused: 0 });
    });

    it('sets the balance back within [0, maxTokens], restarting the trickle from now', () => {
      const { clock, budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 2, maxTokens: 8 });
      clock.advance(10_000);
      budget.tokens = 3.25;
      expect(budget.tokens).toBe(3.25);
      clock.advance(500);
      expect(budget.tokens).toBeCloseTo(4.25, 9);
      budget.tokens = 100;
      expect(budget.tokens).toBe(8);
      budget.tokens = -4;
      expect(budget.tokens).toBe(0);
    });

    it('deposits and withdraws amounts, within [0, maxTokens]', () => {
      const { budget } = bucket({ ratio: 0.1, minRetriesPerSecond: 0, maxTokens: 8 });
      budget.deposit(-5.5);
      expect(budget.tokens).toBe(2.5);
      budget.deposit(-10);
      expect(budget.tokens).toBe(0);
      budget.deposit(3);
      expect(budget.tokens).toBe(3);
      budget.deposit(30);
      expect(budget.tokens).toBe(8);
    });

    it('rejects a balance or deposit that is not a finite number', () => {
      const { budget } = bucket({ ratio: 0.1 });
      expect(() => (budget.tokens = Number.NaN)).toThrow('TokenBucketRetryBudget: tokens must be a finite number (got NaN)');
      expect(() => budget.deposit(Number.POSITIVE_INFINITY)).toThrow('TokenBucketRetryBudget: a deposit must be a finite number (got Infinity)');
      expect(budget.tokens).toBe(10);
    });
  });

  describe('validation', () => {
    const invalid: Array<[unknown, string]> = [
      [undefined, 'retries.pricing.budget must be an object ({ ratio, minRetriesPerSecond?, maxTokens? }) (got undefined)'],
      [{}, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got undefined)'],
      [{ ratio: 0 }, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got 0)'],
      [{ ratio: 10 }, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got 10)'],
      [{ ratio: '0.1' }, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got "0.1")'],
      [{ ratio: Number.NaN }, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got NaN)'],
      [{ ratio: 0.1, minRetriesPerSecond: -1 }, 'retries.pricing.budget.minRetriesPerSecond must be a non-negative number (got -1)'],
      [{ ratio: 0.1, maxTokens: 0.5 }, 'retries.pricing.budget.maxTokens must be a number of at least 1 (got 0.5)'],
      [{ ratio: 0.1, maxTokens: Number.POSITIVE_INFINITY }, 'retries.pricing.budget.maxTokens must be a number of at least 1 (got Infinity)'],
      [{ ratio: 0.1, clock: {} }, 'retries.pricing.budget.clock must be a Clock (with now()) (got object)'],
      [{ ratio: 0.1, percent: 10 }, 'retries.pricing.budget.percent is not a known option (known: ratio, minRetriesPerSecond, maxTokens) (got 10)'],
    ];

    it.each(invalid)('rejects %p', (options, message) => {
      expect(() => validateRetryBudgetOptions(options, 'retries.pricing.budget')).toThrow(InvalidOptionsError);
      expect(() => validateRetryBudgetOptions(options, 'retries.pricing.budget')).toThrow(message);
    });

    it('accepts the edges: ratio 1, no trickle, one token', () => {
      expect(() => validateRetryBudgetOptions({ ratio: 1, minRetriesPerSecond: 0, maxTokens: 1 }, 'b')).not.toThrow();
    });

    it('validates in the constructor, under the path retryBudget', () => {
      expect(() => new TokenBucketRetryBudget({ ratio: 2 })).toThrow(
        'retryBudget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got 2)',
      );
    });
  });
});
