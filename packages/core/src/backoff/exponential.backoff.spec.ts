import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { BackoffStrategy, JitterKind, JitterStrategy } from './backoff.interface.js';
import { DEFAULT_BACKOFF_OPTIONS, MAX_BACKOFF_DELAY, exponentialBackoff } from './exponential.backoff.js';

/** Delays for retries 1..count, feeding each delay back as the next previousDelay. */
function delays(backoff: BackoffStrategy, count: number): number[] {
  const result: number[] = [];
  let previous = 0;
  for (let attempt = 1; attempt <= count; attempt++) {
    previous = backoff.delay(attempt, previous);
    result.push(previous);
  }
  return result;
}

/** A random source replaying `values` in order (then repeating the last). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe('exponentialBackoff', () => {
  describe('calculated delay (jitter none)', () => {
    it('defaults to 100 ms base, doubling, capped at 10 s', () => {
      expect(DEFAULT_BACKOFF_OPTIONS).toEqual({ baseDelay: 100, multiplier: 2, maxDelay: 10_000, jitter: 'full' });
      const backoff = exponentialBackoff({ jitter: 'none' });
      expect(delays(backoff, 9)).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
    });

    it('applies baseDelay and multiplier, capping at maxDelay', () => {
      const backoff = exponentialBackoff({ baseDelay: 50, multiplier: 3, maxDelay: 1_000, jitter: 'none' });
      expect(delays(backoff, 5)).toEqual([50, 150, 450, 1_000, 1_000]);
    });

    it('is constant with multiplier 1', () => {
      expect(delays(exponentialBackoff({ baseDelay: 250, multiplier: 1, jitter: 'none' }), 4)).toEqual([250, 250, 250, 250]);
    });

    it('caps at maxDelay even when baseDelay exceeds it', () => {
      expect(delays(exponentialBackoff({ baseDelay: 500, maxDelay: 300, jitter: 'none' }), 3)).toEqual([300, 300, 300]);
    });

    it('stays finite when the multiplier overflows, and zero with a zero base', () => {
      expect(exponentialBackoff({ jitter: 'none' }).delay(5_000, 0)).toBe(10_000);
      expect(exponentialBackoff({ baseDelay: 0, jitter: 'none' }).delay(5_000, 0)).toBe(0);
      expect(exponentialBackoff({ baseDelay: 0, maxDelay: 0, jitter: 'full' }).delay(3, 0)).toBe(0);
    });

    it('treats attempts below 1 as the first retry', () => {
      const backoff = exponentialBackoff({ jitter: 'none' });
      expect(backoff.delay(0, 0)).toBe(100);
      expect(backoff.delay(-3, 0)).toBe(100);
    });
  });

  describe('jitter with an injected random source', () => {
    it("'full' is calculated * random", () => {
      const backoff = exponentialBackoff({ jitter: 'full', random: sequence(0, 0.5, 0.25) });
      expect(delays(backoff, 3)).toEqual([0, 100, 100]);
    });

    it("'equal' is calculated/2 + calculated/2 * random", () => {
      const backoff = exponentialBackoff({ jitter: 'equal', random: sequence(0, 0.5, 1) });
      expect(delays(backoff, 3)).toEqual([50, 150, 400]);
    });

    it("'decorrelated' is uniform in [baseDelay, previous * 3], starting from baseDelay", () => {
      const backoff = exponentialBackoff({ jitter: 'decorrelated', random: sequence(1, 1, 0.5, 0) });
      // 100 + (100*3 - 100) * 1 = 300; 100 + (900 - 100) = 900; 100 + (2700 - 100) * 0.5 = 1400; 100.
      expect(delays(backoff, 4)).toEqual([300, 900, 1_400, 100]);
    });

    it("'decorrelated' ignores previousDelay on the first retry and caps at maxDelay", () => {
      const backoff = exponentialBackoff({ jitter: 'decorrelated', maxDelay: 1_000, random: () => 1 });
      expect(backoff.delay(1, 999_999)).toBe(300);
      expect(backoff.delay(2, 300)).toBe(900);
      expect(backoff.delay(3, 900)).toBe(1_000);
      expect(backoff.delay(4, 1_000)).toBe(1_000);
    });

    it("'decorrelated' with maxDelay below baseDelay returns maxDelay", () => {
      const backoff = exponentialBackoff({ jitter: 'decorrelated', baseDelay: 500, maxDelay: 200, random: sequence(0, 0.5, 1) });
      expect(delays(backoff, 3)).toEqual([200, 200, 200]);
    });

    it('never returns a negative or NaN delay, even from a broken random source', () => {
      expect(exponentialBackoff({ jitter: 'full', random: () => -1 }).delay(1, 0)).toBe(0);
      expect(exponentialBackoff({ jitter: 'full', random: () => Number.NaN }).delay(1, 0)).toBe(0);
      expect(exponentialBackoff({ jitter: 'full', maxDelay: 300, random: () => 5 }).delay(1, 0)).toBe(300);
    });

    it('falls back to the calculated delay when the jitter or random source throws', () => {
      const broken = (): number => {
        throw new Error('no entropy');
      };
      expect(exponentialBackoff({ jitter: 'full', random: broken }).delay(2, 0)).toBe(200);
      expect(exponentialBackoff({ jitter: { apply: broken } }).delay(3, 0)).toBe(400);
    });

    it('accepts a custom jitter strategy and still caps its result', () => {
      const calls: Array<[number, number]> = [];
      const plusOneSecond: JitterStrategy = {
        apply: (calculated, previous) => {
          calls.push([calculated, previous]);
          return calculated + 1_000;
        },
      };
      const backoff = exponentialBackoff({ jitter: plusOneSecond, maxDelay: 1_500 });
      expect(delays(backoff, 3)).toEqual([1_100, 1_200, 1_400]);
      expect(calls).toEqual([
        [100, 100],
        [200, 1_100],
        [400, 1_200],
      ]);
      expect(backoff.delay(4, 0)).toBe(1_500);
    });
  });

  describe('jitter over 1,000 real Math.random draws', () => {
    const baseDelay = 100;
    const maxDelay = 2_000;
    const bounds: Record<Exclude<JitterKind, 'decorrelated'>, (calculated: number) => [number, number]> = {
      none: (c) => [c, c],
      full: (c) => [0, c],
      equal: (c) => [c / 2, c],
    };

    for (const kind of ['full', 'equal'] as const) {
      it(`'${kind}' stays within its bounds, capped, and varies`, () => {
        const backoff = exponentialBackoff({ baseDelay, maxDelay, jitter: kind });
        for (let attempt = 1; attempt <= 8; attempt++) {
          const calculated = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
          const [low, high] = bounds[kind](calculated);
          const drawn = Array.from({ length: 1_000 }, () => backoff.delay(attempt, 0));
          expect(drawn.filter((d) => !(d >= low && d <= high && d <= maxDelay))).toEqual([]);
          expect(new Set(drawn).size).toBeGreaterThan(1);
        }
      });
    }

    it("'none' is exactly the calculated delay every time", () => {
      const backoff = exponentialBackoff({ baseDelay, maxDelay, jitter: 'none' });
      const drawn = Array.from({ length: 1_000 }, (_, i) => backoff.delay((i % 8) + 1, 0));
      expect(drawn).toEqual(Array.from({ length: 1_000 }, (_, i) => Math.min(maxDelay, baseDelay * 2 ** (i % 8))));
    });

    it("'decorrelated' stays within [baseDelay, min(maxDelay, previous * 3)] and varies", () => {
      const backoff = exponentialBackoff({ baseDelay, maxDelay, jitter: 'decorrelated' });
      const seen = new Set<number>();
      const outOfBounds: Array<{ previous: number; delay: number }> = [];
      for (let run = 0; run < 100; run++) {
        let previous = baseDelay;
        for (let attempt = 1; attempt <= 10; attempt++) {
          const delay = backoff.delay(attempt, previous);
          if (!(delay >= baseDelay && delay <= Math.min(maxDelay, previous * 3))) outOfBounds.push({ previous, delay });
          seen.add(delay);
          previous = delay;
        }
      }
      expect(outOfBounds).toEqual([]);
      expect(seen.size).toBeGreaterThan(1);
      expect(Math.max(...seen)).toBe(maxDelay); // the cap is reached and holds
    });
  });

  it('keeps every delay in [0, maxDelay] for any valid options (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.double({ min: 0, max: MAX_BACKOFF_DELAY, noNaN: true }),
        fc.constantFrom<JitterKind>('full', 'equal', 'decorrelated', 'none'),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (baseDelay, multiplier, maxDelay, jitter, draws) => {
          const backoff = exponentialBackoff({ baseDelay, multiplier, maxDelay, jitter, random: sequence(...draws) });
          let previous = 0;
          for (let attempt = 1; attempt <= draws.length; attempt++) {
            previous = backoff.delay(attempt, previous);
            expect(Number.isFinite(previous)).toBe(true);
            expect(previous).toBeGreaterThanOrEqual(0);
            expect(previous).toBeLessThanOrEqual(maxDelay);
          }
        },
      ),
    );
  });

  describe('validation', () => {
    const cases: Array<[unknown, string]> = [
      [{ baseDelay: -1 }, 'exponentialBackoff.baseDelay must be a non-negative number (got -1)'],
      [{ baseDelay: Number.NaN }, 'exponentialBackoff.baseDelay must be a non-negative number (got NaN)'],
      [{ multiplier: 0.5 }, 'exponentialBackoff.multiplier must be a number >= 1 (got 0.5)'],
      [{ multiplier: Number.POSITIVE_INFINITY }, 'exponentialBackoff.multiplier must be a number >= 1 (got Infinity)'],
      [{ maxDelay: -5 }, 'exponentialBackoff.maxDelay must be a non-negative number (got -5)'],
      [{ maxDelay: 3_000_000_000 }, 'exponentialBackoff.maxDelay must be at most 2147483647 ms (the longest timer delay) (got 3000000000)'],
      [{ jitter: 'fast' }, `exponentialBackoff.jitter must be one of 'full', 'equal', 'decorrelated', 'none' (got "fast")`],
      [{ jitter: {} }, `exponentialBackoff.jitter must be one of 'full', 'equal', 'decorrelated', 'none' or a strategy with an apply function (got object)`],
      [{ random: 0.5 }, 'exponentialBackoff.random must be a function (got 0.5)'],
      [{ base: 100 }, 'exponentialBackoff.base is not a known option (known: baseDelay, multiplier, maxDelay, jitter) (got 100)'],
      [null, 'exponentialBackoff must be an object (got null)'],
    ];
    for (const [options, message] of cases) {
      it(`rejects ${message.split(' ')[0]} = ${String(JSON.stringify(options))}`, () => {
        const build = (): unknown => exponentialBackoff(options as never);
        expect(build).toThrow(InvalidOptionsError);
        expect(build).toThrow(message);
      });
    }

    it('accepts the boundaries', () => {
      expect(() => exponentialBackoff({ baseDelay: 0, multiplier: 1, maxDelay: 0 })).not.toThrow();
      expect(() => exponentialBackoff({ maxDelay: MAX_BACKOFF_DELAY })).not.toThrow();
    });
  });
});
