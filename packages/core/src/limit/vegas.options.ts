import { checkCount, checkKnownKeys, checkNumberIn, checkObject } from '../validation/option-validators.js';
import { validateLimitBounds, type LimitBoundsOptions } from './limit-bounds.options.js';

/**
 * Vegas (TCP Vegas, after Netflix's `VegasLimit`): from each sample it estimates how many calls
 * queue at the dependency, `limit * (1 - noLoadRtt / rtt)`, where `noLoadRtt` is the fastest call
 * seen since the last probe. Few queued (at most `log10(limit)`): the limit grows fast
 * (`+ beta * log10(limit)`); fewer than `alpha * log10(limit)`: it grows by `log10(limit)`; more than
 * `beta * log10(limit)`: it shrinks by `log10(limit)`; in between it holds. A dropped call shrinks
 * it by `log10(limit)`. Steps are smoothed by `smoothing`.
 */
export interface VegasLimitOptions extends LimitBoundsOptions {
  /** Queued calls (times `log10(limit)`) below which the limit grows. Default 3. */
  alpha?: number;
  /** Queued calls (times `log10(limit)`) above which the limit shrinks; more than `alpha`. Default 6. */
  beta?: number;
  /** Share of each step the limit moves by, in (0, 1]. Default 0.2 (one sample is a noisy estimate of the queue). */
  smoothing?: number;
  /**
   * Samples between two re-measurements of `noLoadRtt`, as a multiple of the limit (the fastest
   * call is forgotten, so a dependency that got slower for good is learnt). Default 30; 1 to 10 000.
   */
  probeMultiplier?: number;
}

/** Defaults of `VegasLimitOptions` (documented on each field). */
export const DEFAULT_VEGAS_OPTIONS: Readonly<Required<VegasLimitOptions>> = Object.freeze({
  initialLimit: 20,
  minLimit: 4,
  maxLimit: 200,
  alpha: 3,
  beta: 6,
  smoothing: 0.2,
  probeMultiplier: 30,
});

const KNOWN_KEYS: readonly string[] = ['algorithm', ...Object.keys(DEFAULT_VEGAS_OPTIONS)];

/** Throws `InvalidOptionsError` naming `path` and the field. `undefined` means defaults. */
export function validateVegasOptions(options: unknown, path: string): void {
  if (options === undefined) return;
  checkObject(path, options);
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, KNOWN_KEYS);
  validateLimitBounds(path, record, DEFAULT_VEGAS_OPTIONS);
  checkNumberIn(`${path}.alpha`, record['alpha'], 0, 1_000, 'a number greater than 0 and at most 1000', true);
  const alpha = (record['alpha'] as number | undefined) ?? DEFAULT_VEGAS_OPTIONS.alpha;
  checkNumberIn(`${path}.beta`, record['beta'], alpha, 1_000, `a number greater than alpha (${alpha}) and at most 1000`, true);
  checkNumberIn(`${path}.smoothing`, record['smoothing'], 0, 1, 'a number greater than 0 and at most 1', true);
  checkCount(`${path}.probeMultiplier`, record['probeMultiplier'], 1, 10_000);
}
