import type { Clock } from '../clock/clock.js';
import { validateAdaptiveLimitOptions, type AdaptiveLimitOptions } from '../limit/adaptive-limit.options.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import { MAX_BULKHEAD_QUEUE } from '../validation/option-limits.js';
import { checkAtMost, checkNonNegativeInteger, checkPolicyOptions } from '../validation/option-validators.js';

/** A bulkhead whose concurrency limit follows the latency of the calls it lets through. */
export interface AdaptiveBulkheadOptions {
  /**
   * The limit algorithm: `true` (or left out) for Gradient2 with its defaults, its options
   * (`{ algorithm: 'gradient2' | 'vegas' | 'aimd', initialLimit, minLimit, maxLimit, ... }`), or a
   * `LimitAlgorithm` object of one's own (not shared with another limiter).
   */
  adaptive?: true | AdaptiveLimitOptions | LimitAlgorithm;
  /** Calls waiting (FIFO) for a free slot; beyond it calls fail with `BulkheadFullError`. Default 0; at most 100 000. */
  maxQueue?: number;
}

/** What the `AdaptiveBulkheadPolicy` constructor takes: the options plus identity and time source. */
export interface AdaptiveBulkheadPolicyOptions extends AdaptiveBulkheadOptions {
  /** Names the bulkhead in errors and events. Default `'bulkhead'`. */
  name?: string;
  /** Times each call's slot (its latency, what the limit learns from). Default `systemClock`. */
  clock?: Clock;
  /** Prefix of validation messages (`bulkheads.reports`), set by frameworks that know where options came from. */
  validationPath?: string;
}

export const DEFAULT_ADAPTIVE_BULKHEAD_MAX_QUEUE = 0;

const KNOWN_KEYS: readonly string[] = ['name', 'clock', 'validationPath', 'adaptive', 'maxQueue'];

/**
 * Throws `InvalidOptionsError` naming `path` and the field, e.g.
 * `bulkheads.reports.adaptive.minLimit must be a positive integer (got 0)`. `undefined` means defaults.
 */
export function validateAdaptiveBulkheadOptions(options: unknown, path: string): void {
  const record = checkPolicyOptions(path, options, KNOWN_KEYS);
  if (record === undefined) return;
  const adaptive = record['adaptive'];
  if (adaptive !== true) validateAdaptiveLimitOptions(adaptive, `${path}.adaptive`);
  checkNonNegativeInteger(`${path}.maxQueue`, record['maxQueue']);
  checkAtMost(`${path}.maxQueue`, record['maxQueue'], MAX_BULKHEAD_QUEUE, ' (each waiting call is held in memory)');
}
