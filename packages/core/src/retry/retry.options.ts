import type { JitterKind, JitterStrategy } from '../backoff/backoff.interface.js';
import { DEFAULT_BACKOFF_OPTIONS, validateBackoffFields } from '../backoff/exponential.backoff.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ErrorClass } from '../policy/policy.interface.js';
import { MAX_RETRIES } from '../validation/option-limits.js';
import {
  checkAtMost,
  checkBoolean,
  checkErrorClasses,
  checkFunction,
  checkKnownKeys,
  checkNonNegativeInteger,
  checkObject,
} from '../validation/option-validators.js';
import type { RetryBudget } from './retry-budget.interface.js';
import { validateRetryBudgetField, type RetryBudgetOptions } from './retry-budget.options.js';

export interface RetryOptions {
  /** Retries after the first attempt. Default 3 (4 attempts in all); 0 disables retrying; at most 100. */
  maxRetries?: number;
  /** Delay before the first retry, before jitter. Default 100 ms; at most 2^31 - 1. */
  baseDelay?: number;
  /** Growth factor of the delay per retry (>= 1). Default 2. */
  multiplier?: number;
  /** Cap on every delay, jitter included. Default 10 000 ms; at most 2^31 - 1. */
  maxDelay?: number;
  /** Default `'full'`: each delay uniform in [0, calculated]. A custom strategy is accepted too. */
  jitter?: JitterKind | JitterStrategy;
  /**
   * Which errors are retried: a predicate (given the error and the 1-based attempt that failed)
   * or a list of error classes. Default: every error. `CircuitOpenError` and `BulkheadFullError`
   * are governed by their own flags below, never by this.
   */
  retryOn?: ((error: unknown, attempt: number) => boolean) | ErrorClass[];
  /** A result for which this returns true is retried like a failure; once retries run out it is returned. */
  retryOnResult?: (value: unknown) => boolean;
  /** Default false: a `CircuitOpenError` is never retried unless this is true (then it always is). */
  retryOnCircuitOpen?: boolean;
  /**
   * The delay a failed attempt's server asked for, in ms, from what the attempt threw or returned
   * (`undefined`: it did not say; `Infinity`: do not retry). The next retry never comes before it
   * (jitter included), and when it is beyond `maxDelay` (or the deadline) the call ends at once
   * with the original outcome. Default: `serverRetryDelay` (HTTP `Retry-After`, gRPC
   * `grpc-retry-pushback-ms`, `CircuitOpenError.retryAfterMs`, a `retryAfterMs` property); `false`
   * ignores servers.
   */
  retryAfter?: ((outcome: unknown) => number | undefined) | false;
  /** Default false: a `BulkheadFullError` is never retried unless this is true (then it always is). */
  retryOnBulkheadFull?: boolean;
  /**
   * Limits retries to a share of calls, so that a blip cannot turn into a retry storm: options
   * (`{ ratio: 0.1 }`) build a token bucket of the policy's own; a `RetryBudget` (e.g. one shared
   * by several policies, or a store's fleet-wide one) is used as given. When the budget refuses a
   * retry, the call ends as if retries had run out. Default: none.
   */
  budget?: RetryBudgetOptions | RetryBudget;
}

/** The retry defaults from the article (`retryOn`/`retryOnResult` default to "every error" / none). */
export const DEFAULT_RETRY_OPTIONS: Readonly<{
  maxRetries: number;
  baseDelay: number;
  multiplier: number;
  maxDelay: number;
  jitter: JitterKind;
  retryOnCircuitOpen: boolean;
  retryOnBulkheadFull: boolean;
}> = Object.freeze({
  maxRetries: 3,
  baseDelay: DEFAULT_BACKOFF_OPTIONS.baseDelay,
  multiplier: DEFAULT_BACKOFF_OPTIONS.multiplier,
  maxDelay: DEFAULT_BACKOFF_OPTIONS.maxDelay,
  jitter: DEFAULT_BACKOFF_OPTIONS.jitter,
  retryOnCircuitOpen: false,
  retryOnBulkheadFull: false,
});

/** Keys a retry options object may carry (`name`, `clock`, `random` are for policies built by hand). */
export const RETRY_OPTION_KEYS: readonly string[] = Object.freeze([
  'maxRetries',
  'baseDelay',
  'multiplier',
  'maxDelay',
  'jitter',
  'retryOn',
  'retryOnResult',
  'retryOnCircuitOpen',
  'retryOnBulkheadFull',
  'retryAfter',
  'budget',
  'name',
  'clock',
  'random',
  'validationPath',
]);

/**
 * Throws an `InvalidOptionsError` naming `path` and the field, e.g.
 * `retries.pricing.maxRetries must be a non-negative integer (got -1)`. `undefined` passes (defaults).
 */
export function validateRetryOptions(options: unknown, path: string): void {
  checkObject(path, options);
  if (options === undefined) return;
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, RETRY_OPTION_KEYS);
  checkNonNegativeInteger(`${path}.maxRetries`, record['maxRetries']);
  checkAtMost(`${path}.maxRetries`, record['maxRetries'], MAX_RETRIES);
  validateBackoffFields(record, path);
  const retryOn = record['retryOn'];
  if (typeof retryOn !== 'function') {
    if (retryOn !== undefined && !Array.isArray(retryOn)) {
      throw new InvalidOptionsError(`${path}.retryOn`, 'must be a predicate function or an array of error classes', retryOn);
    }
    checkErrorClasses(`${path}.retryOn`, retryOn);
  }
  checkFunction(`${path}.retryOnResult`, record['retryOnResult']);
  checkBoolean(`${path}.retryOnCircuitOpen`, record['retryOnCircuitOpen']);
  const retryAfter = record['retryAfter'];
  if (retryAfter !== undefined && retryAfter !== false && typeof retryAfter !== 'function') {
    throw new InvalidOptionsError(`${path}.retryAfter`, 'must be a function of the failed outcome or false', retryAfter);
  }
  checkBoolean(`${path}.retryOnBulkheadFull`, record['retryOnBulkheadFull']);
  validateRetryBudgetField(record['budget'], `${path}.budget`);
  const name = record['name'];
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new InvalidOptionsError(`${path}.name`, 'must be a non-empty string', name);
  }
  const clock = record['clock'];
  if (clock !== undefined && !isClock(clock)) {
    throw new InvalidOptionsError(`${path}.clock`, 'must be a Clock (now, setTimeout, clearTimeout)', clock);
  }
}

function isClock(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const clock = value as Record<string, unknown>;
  return typeof clock['now'] === 'function' && typeof clock['setTimeout'] === 'function' && typeof clock['clearTimeout'] === 'function';
}
