import { MAX_ADAPTIVE_LIMIT } from '../validation/option-limits.js';
import { checkCount, checkKnownKeys, checkNumberIn, checkObject } from '../validation/option-validators.js';
import { validateLimitBounds, type LimitBoundsOptions } from './limit-bounds.options.js';

/**
 * Gradient2: the limit follows the ratio of the baseline latency (the dependency's, unqueued) to the
 * latency of the last window. Each window the limit becomes
 * `limit * gradient + queueSize`, smoothed, with `gradient = clamp(tolerance * baseline / latency, 0.5, 1)`:
 * it grows by `queueSize` while latency stays within `tolerance` of the baseline, and shrinks in
 * proportion once calls queue beyond it. It settles where latency is about `tolerance` times the
 * baseline. See `LatencyWindows` for the windows and the baseline probe.
 */
export interface Gradient2LimitOptions extends LimitBoundsOptions {
  /**
   * Share of each window's target the limit moves by, in (0, 1]. Default 0.2 (a fifth: steady
   * against noisy windows, still a few round trips to halve).
   */
  smoothing?: number;
  /**
   * How much slower than the baseline a window may be before the limit shrinks, at least 1 and at
   * most 10. Default 1.5 (latency settles at about 1.5x the unqueued latency: room for noisy
   * windows, still well below the queueing that follows an unbounded limit).
   */
  tolerance?: number;
  /**
   * Calls the limit grows by per window while latency stays within `tolerance` (the calls it lets
   * queue at the dependency to find out whether there is more room). Default 4; at most 100 000.
   */
  queueSize?: number;
  /** Samples a window averages: at least this many and at least the limit (one round trip). Default 10; at most 100 000. */
  shortWindow?: number;
  /** Windows between two baseline probes. Default 100 (a probe costs about 2 of them at half the limit). At least 2; at most 100 000. */
  longWindow?: number;
}

/** Defaults of `Gradient2LimitOptions` (documented on each field). */
export const DEFAULT_GRADIENT2_OPTIONS: Readonly<Required<Gradient2LimitOptions>> = Object.freeze({
  initialLimit: 20,
  minLimit: 4,
  maxLimit: 200,
  smoothing: 0.2,
  tolerance: 1.5,
  queueSize: 4,
  shortWindow: 10,
  longWindow: 100,
});

const KNOWN_KEYS: readonly string[] = ['algorithm', ...Object.keys(DEFAULT_GRADIENT2_OPTIONS)];

/** Throws `InvalidOptionsError` naming `path` and the field. `undefined` means defaults. */
export function validateGradient2Options(options: unknown, path: string): void {
  if (options === undefined) return;
  checkObject(path, options);
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, KNOWN_KEYS);
  validateLimitBounds(path, record, DEFAULT_GRADIENT2_OPTIONS);
  checkNumberIn(`${path}.smoothing`, record['smoothing'], 0, 1, 'a number greater than 0 and at most 1', true);
  checkNumberIn(`${path}.tolerance`, record['tolerance'], 1, 10, 'a number from 1 to 10');
  checkNumberIn(`${path}.queueSize`, record['queueSize'], 0, MAX_ADAPTIVE_LIMIT, `a number from 0 to ${MAX_ADAPTIVE_LIMIT}`);
  checkCount(`${path}.shortWindow`, record['shortWindow'], 1, MAX_ADAPTIVE_LIMIT);
  checkCount(`${path}.longWindow`, record['longWindow'], 2, MAX_ADAPTIVE_LIMIT);
}
