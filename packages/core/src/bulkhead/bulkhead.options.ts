import type { Clock } from '../clock/clock.js';
import { MAX_BULKHEAD_QUEUE } from '../validation/option-limits.js';
import {
  checkAtMost,
  checkNonNegativeInteger,
  checkPolicyOptions,
  checkPositiveInteger,
} from '../validation/option-validators.js';

/** How many calls a bulkhead lets run at once, and how many it lets wait. */
export interface BulkheadOptions {
  /** Calls running at the same time. Default 10. */
  maxConcurrent?: number;
  /** Calls waiting (FIFO) for a free slot; beyond it calls fail with `BulkheadFullError`. Default 0; at most 100 000. */
  maxQueue?: number;
}

/** What the `BulkheadPolicy` constructor takes: the options plus identity and time source. */
export interface BulkheadPolicyOptions extends BulkheadOptions {
  /** Names the bulkhead in errors and events. Default `'bulkhead'`. */
  name?: string;
  /** Accepted for uniformity with the other policies; a bulkhead never reads time. */
  clock?: Clock;
  /** Prefix of validation messages (`bulkheads.reports`), set by frameworks that know where options came from. */
  validationPath?: string;
}

export const DEFAULT_BULKHEAD_OPTIONS: Readonly<Required<BulkheadOptions>> = Object.freeze({
  maxConcurrent: 10,
  maxQueue: 0,
});

const KNOWN_KEYS: readonly string[] = ['name', 'clock', 'validationPath', 'maxConcurrent', 'maxQueue'];

/**
 * Throws `InvalidOptionsError` naming `path` and the field, e.g.
 * `bulkheads.reports.maxConcurrent must be a positive integer (got 0)`. `undefined` means defaults.
 */
export function validateBulkheadOptions(options: unknown, path: string): void {
  const record = checkPolicyOptions(path, options, KNOWN_KEYS);
  if (record === undefined) return;
  checkPositiveInteger(`${path}.maxConcurrent`, record['maxConcurrent']);
  checkNonNegativeInteger(`${path}.maxQueue`, record['maxQueue']);
  checkAtMost(`${path}.maxQueue`, record['maxQueue'], MAX_BULKHEAD_QUEUE, ' (each waiting call is held in memory)');
}
