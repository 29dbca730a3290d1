import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { MAX_TIMER_DELAY_MS } from '../validation/option-limits.js';
import {
  checkFunction,
  checkKnownKeys,
  checkNonNegativeDuration,
  checkObject,
  checkOneOf,
} from '../validation/option-validators.js';
import {
  JITTER_KINDS,
  type BackoffStrategy,
  type JitterBounds,
  type JitterKind,
  type JitterStrategy,
} from './backoff.interface.js';
import { JITTER_STRATEGIES } from './jitter.strategy.js';

export interface ExponentialBackoffOptions {
  /** Delay before the first retry, before jitter. Default 100 ms; at most 2^31 - 1. */
  baseDelay?: number;
  /** Growth factor per retry (>= 1). Default 2. */
  multiplier?: number;
  /** Cap on every delay, jitter included. Default 10 000 ms. */
  maxDelay?: number;
  /** A built-in jitter kind or a custom strategy. Default `'full'`. */
  jitter?: JitterKind | JitterStrategy;
  /** Uniform source in [0, 1). Default `Math.random`; inject one for deterministic tests. */
  random?: () => number;
}

/** The article's numbers: 100 ms base, doubling, capped at 10 s, full jitter. */
export const DEFAULT_BACKOFF_OPTIONS: Readonly<{ baseDelay: number; multiplier: number; maxDelay: number; jitter: JitterKind }> =
  Object.freeze({ baseDelay: 100, multiplier: 2, maxDelay: 10_000, jitter: 'full' });

/**
 * Largest `maxDelay` (and `baseDelay`): Node fires a timer set above 2^31 - 1 ms after 1 ms instead,
 * so a larger cap would turn the longest waits into none at all. Same as `MAX_TIMER_DELAY_MS`.
 */
export const MAX_BACKOFF_DELAY = MAX_TIMER_DELAY_MS;

const BACKOFF_OPTION_KEYS: readonly string[] = ['baseDelay', 'multiplier', 'maxDelay', 'jitter', 'random'];

/**
 * Checks the backoff fields of `record` (other keys are the caller's business), with messages
 * such as `retries.pricing.multiplier must be a number >= 1 (got 0.5)`.
 */
export function validateBackoffFields(record: Readonly<Record<string, unknown>>, path: string): void {
  checkNonNegativeDuration(`${path}.baseDelay`, record['baseDelay']);
  const multiplier = record['multiplier'];
  if (multiplier !== undefined && (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1)) {
    throw new InvalidOptionsError(`${path}.multiplier`, 'must be a number >= 1', multiplier);
  }
  checkNonNegativeDuration(`${path}.maxDelay`, record['maxDelay']);
  const jitter = record['jitter'];
  if (jitter !== null && typeof jitter === 'object') {
    if (typeof (jitter as Partial<JitterStrategy>).apply !== 'function') {
      throw new InvalidOptionsError(`${path}.jitter`, `must be one of ${JITTER_KINDS.map((k) => `'${k}'`).join(', ')} or a strategy with an apply function`, jitter);
    }
  } else {
    checkOneOf(`${path}.jitter`, jitter, JITTER_KINDS);
  }
  checkFunction(`${path}.random`, record['random']);
}

/**
 * Exponential backoff: before retry number `attempt` (1, 2, 3, ...) the calculated delay is
 * `min(maxDelay, baseDelay * multiplier^(attempt - 1))`, then the jitter strategy randomises it.
 * Every result is in [0, maxDelay].
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): BackoffStrategy {
  checkObject('exponentialBackoff', options);
  checkKnownKeys('exponentialBackoff', options, BACKOFF_OPTION_KEYS);
  validateBackoffFields(options as Record<string, unknown>, 'exponentialBackoff');
  const jitter = options.jitter ?? DEFAULT_BACKOFF_OPTIONS.jitter;
  return new ExponentialBackoff(
    options.baseDelay ?? DEFAULT_BACKOFF_OPTIONS.baseDelay,
    options.multiplier ?? DEFAULT_BACKOFF_OPTIONS.multiplier,
    options.maxDelay ?? DEFAULT_BACKOFF_OPTIONS.maxDelay,
    typeof jitter === 'string' ? JITTER_STRATEGIES[jitter] : jitter,
    options.random ?? Math.random,
  );
}

/** The backoff object doubles as the bounds its jitter reads: no object built per delay. */
class ExponentialBackoff implements BackoffStrategy, JitterBounds {
  constructor(
    readonly baseDelay: number,
    readonly multiplier: number,
    readonly maxDelay: number,
    readonly jitter: JitterStrategy,
    readonly random: () => number,
  ) {}

  delay(attempt: number, previousDelay: number): number {
    const first = !(attempt > 1);
    const calculated = this.calculated(first ? 0 : attempt - 1);
    let delay: number;
    try {
      delay = this.jitter.apply(calculated, first ? this.baseDelay : previousDelay, this);
    } catch {
      // A throwing custom jitter or random source must not break the retry loop's bookkeeping.
      delay = calculated;
    }
    // `!(delay > 0)` also maps NaN from a misbehaving custom jitter or random source to 0.
    if (!(delay > 0)) return 0;
    return delay < this.maxDelay ? delay : this.maxDelay;
  }

  private calculated(exponent: number): number {
    // 0 * Infinity is NaN: a zero base stays zero however far the multiplier overflows.
    if (this.baseDelay === 0) return 0;
    const raw = this.baseDelay * this.multiplier ** exponent;
    return raw < this.maxDelay ? raw : this.maxDelay;
  }
}
