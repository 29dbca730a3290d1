import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { MAX_ADAPTIVE_LIMIT } from '../validation/option-limits.js';
import { checkAtMost, checkPositiveInteger } from '../validation/option-validators.js';

/** Where an adaptive limit starts and the range it stays in; every algorithm takes them. */
export interface LimitBoundsOptions {
  /** The limit before any call has completed. Between `minLimit` and `maxLimit`. */
  initialLimit?: number;
  /** The limit never goes below it (a latency spike shrinks the limit to it, not to zero). */
  minLimit?: number;
  /** The limit never goes above it. At most 100 000. */
  maxLimit?: number;
}

/** Checks `initialLimit`, `minLimit`, `maxLimit` as given (with `defaults` for those left out). */
export function validateLimitBounds(path: string, record: Record<string, unknown>, defaults: Required<LimitBoundsOptions>): void {
  for (const key of ['initialLimit', 'minLimit', 'maxLimit']) {
    checkPositiveInteger(`${path}.${key}`, record[key]);
    checkAtMost(`${path}.${key}`, record[key], MAX_ADAPTIVE_LIMIT);
  }
  const bounds = resolveLimitBounds(record as LimitBoundsOptions, defaults);
  if (bounds.minLimit > bounds.maxLimit) {
    throw new InvalidOptionsError(`${path}.minLimit`, `must be at most maxLimit (${bounds.maxLimit})`, bounds.minLimit);
  }
  const initial = record['initialLimit'];
  if (initial !== undefined && bounds.initialLimit !== initial) {
    throw new InvalidOptionsError(`${path}.initialLimit`, `must be between minLimit (${bounds.minLimit}) and maxLimit (${bounds.maxLimit})`, initial);
  }
}

/**
 * The bounds in force: those given, and defaults pulled inside what was given (`{ maxLimit: 2 }`
 * lowers the default `minLimit` and `initialLimit` to 2 rather than failing). An `initialLimit`
 * given outside the range comes back clamped (validation reports it).
 */
export function resolveLimitBounds(options: LimitBoundsOptions, defaults: Required<LimitBoundsOptions>): Required<LimitBoundsOptions> {
  const givenMin = options.minLimit;
  const givenMax = options.maxLimit;
  const maxLimit = givenMax ?? (givenMin !== undefined && givenMin > defaults.maxLimit ? givenMin : defaults.maxLimit);
  const minLimit = givenMin ?? (defaults.minLimit > maxLimit ? maxLimit : defaults.minLimit);
  const initial = options.initialLimit ?? defaults.initialLimit;
  const initialLimit = initial < minLimit ? minLimit : initial > maxLimit ? maxLimit : initial;
  return { initialLimit, minLimit, maxLimit };
}
