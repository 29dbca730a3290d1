import { checkKnownKeys, checkNumberIn, checkObject, checkPositiveDuration } from '../validation/option-validators.js';
import { validateLimitBounds, type LimitBoundsOptions } from './limit-bounds.options.js';

/**
 * AIMD (additive increase, multiplicative decrease, after Netflix's `AIMDLimit`): loss-based, it
 * knows nothing of latency but what `dropThreshold` makes of it. Each sample that fills at least
 * half the limit grows it by one; each dropped call (or one slower than `dropThreshold`) multiplies
 * it by `backoffRatio`. Simple and predictable; it finds the limit only where calls fail or time
 * out, so give it a `dropThreshold` near the latency the dependency should not exceed.
 */
export interface AimdLimitOptions extends LimitBoundsOptions {
  /** Factor of the limit after a drop, in [0.5, 1). Default 0.9. */
  backoffRatio?: number;
  /** A call slower than this (ms) counts as dropped. Default 5 000 (a timed-out call, in practice). */
  dropThreshold?: number;
}

/** Defaults of `AimdLimitOptions` (documented on each field). */
export const DEFAULT_AIMD_OPTIONS: Readonly<Required<AimdLimitOptions>> = Object.freeze({
  initialLimit: 20,
  minLimit: 4,
  maxLimit: 200,
  backoffRatio: 0.9,
  dropThreshold: 5_000,
});

const KNOWN_KEYS: readonly string[] = ['algorithm', ...Object.keys(DEFAULT_AIMD_OPTIONS)];

/** Throws `InvalidOptionsError` naming `path` and the field. `undefined` means defaults. */
export function validateAimdOptions(options: unknown, path: string): void {
  if (options === undefined) return;
  checkObject(path, options);
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, KNOWN_KEYS);
  validateLimitBounds(path, record, DEFAULT_AIMD_OPTIONS);
  checkNumberIn(`${path}.backoffRatio`, record['backoffRatio'], 0.5, 1, 'a number from 0.5 up to (not including) 1', false, true);
  checkPositiveDuration(`${path}.dropThreshold`, record['dropThreshold']);
}
