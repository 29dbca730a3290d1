import type { Clock } from '../clock/clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { checkKnownKeys, checkNonNegativeNumber } from '../validation/option-validators.js';
import type { RetryBudget } from './retry-budget.interface.js';

/**
 * A token bucket limiting retries to a share of calls: each call deposits `ratio` tokens, each
 * retry takes one, and `minRetriesPerSecond` tokens a second trickle in so that a service with
 * little traffic can still retry. The bucket holds at most `maxTokens`, which is also where it
 * starts.
 */
export interface RetryBudgetOptions {
  /** Share of calls that may be retried, in (0, 1]: 0.1 allows retries up to 10% of calls. */
  ratio: number;
  /** Tokens added per second whatever the traffic (a trickle of retries always allowed). Default 10; 0 for none. */
  minRetriesPerSecond?: number;
  /**
   * Most tokens the bucket holds (and holds at first): the largest burst of retries after a quiet
   * spell. At least 1. Default `max(10, minRetriesPerSecond)`: one second of the trickle, and never
   * fewer than 10 so a budget without a trickle can still save up a few retries.
   */
  maxTokens?: number;
  /** Time source of the trickle (default: the retry policy's clock, else the system clock). */
  clock?: Clock;
}

export const DEFAULT_MIN_RETRIES_PER_SECOND = 10;
/** Floor of the default `maxTokens`. */
export const DEFAULT_MIN_MAX_TOKENS = 10;

/** Keys a budget options object may carry. */
export const RETRY_BUDGET_OPTION_KEYS: readonly string[] = Object.freeze(['ratio', 'minRetriesPerSecond', 'maxTokens', 'clock']);

/** Whether `value` is a ready-made budget (rather than options to build one). */
export function isRetryBudget(value: unknown): value is RetryBudget {
  if (value === null || typeof value !== 'object') return false;
  const budget = value as Record<string, unknown>;
  return typeof budget['recordCall'] === 'function' && typeof budget['tryRetry'] === 'function';
}

/**
 * Throws an `InvalidOptionsError` naming `path` and the field, e.g.
 * `retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (got 10)`.
 * Unlike policy options, `undefined` does not pass: a budget needs its `ratio`.
 */
export function validateRetryBudgetOptions(options: unknown, path: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(path, 'must be an object ({ ratio, minRetriesPerSecond?, maxTokens? })', options);
  }
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, RETRY_BUDGET_OPTION_KEYS);
  const ratio = record['ratio'];
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    throw new InvalidOptionsError(`${path}.ratio`, 'must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls)', ratio);
  }
  checkNonNegativeNumber(`${path}.minRetriesPerSecond`, record['minRetriesPerSecond']);
  const maxTokens = record['maxTokens'];
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || !Number.isFinite(maxTokens) || maxTokens < 1)) {
    // Below one token no retry could ever be granted.
    throw new InvalidOptionsError(`${path}.maxTokens`, 'must be a number of at least 1', maxTokens);
  }
  const clock = record['clock'];
  if (clock !== undefined && (clock === null || typeof (clock as Partial<Clock>).now !== 'function')) {
    throw new InvalidOptionsError(`${path}.clock`, 'must be a Clock (with now())', clock);
  }
}

/**
 * Checks the `budget` field of retry options: a ready-made `RetryBudget` (anything with
 * `recordCall` and `tryRetry`) or budget options. `undefined` passes (no budget).
 */
export function validateRetryBudgetField(value: unknown, path: string): void {
  if (value === undefined || isRetryBudget(value)) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(path, 'must be budget options ({ ratio, minRetriesPerSecond?, maxTokens? }) or a RetryBudget', value);
  }
  validateRetryBudgetOptions(value, path);
}
