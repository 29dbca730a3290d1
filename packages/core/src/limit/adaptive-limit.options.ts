import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { checkObject, checkOneOf } from '../validation/option-validators.js';
import { AimdLimit } from './aimd.limit.js';
import { validateAimdOptions, type AimdLimitOptions } from './aimd.options.js';
import { Gradient2Limit } from './gradient2.limit.js';
import { validateGradient2Options, type Gradient2LimitOptions } from './gradient2.options.js';
import type { LimitAlgorithm } from './limit-algorithm.interface.js';
import { VegasLimit } from './vegas.limit.js';
import { validateVegasOptions, type VegasLimitOptions } from './vegas.options.js';

/** The limit algorithms Bulwark ships, by the name options use. */
export type LimitAlgorithmName = 'gradient2' | 'vegas' | 'aimd';

export const LIMIT_ALGORITHMS: readonly LimitAlgorithmName[] = ['gradient2', 'vegas', 'aimd'];

/**
 * How an adaptive limit is chosen in options: an algorithm by name with its options (Gradient2 when
 * `algorithm` is left out), or a `LimitAlgorithm` object of one's own.
 */
export type AdaptiveLimitOptions =
  | ({ algorithm?: 'gradient2' } & Gradient2LimitOptions)
  | ({ algorithm: 'vegas' } & VegasLimitOptions)
  | ({ algorithm: 'aimd' } & AimdLimitOptions);

/** Whether `value` is a limit algorithm object rather than options. */
export function isLimitAlgorithm(value: unknown): value is LimitAlgorithm {
  return typeof value === 'object' && value !== null && typeof (value as LimitAlgorithm).onSample === 'function';
}

/** Throws `InvalidOptionsError` naming `path` and the field. `undefined` means Gradient2 with its defaults. */
export function validateAdaptiveLimitOptions(options: unknown, path: string): void {
  if (options === undefined || isLimitAlgorithm(options)) return;
  checkObject(path, options);
  const algorithm = (options as Record<string, unknown>)['algorithm'];
  checkOneOf(`${path}.algorithm`, algorithm, LIMIT_ALGORITHMS);
  if (algorithm === 'vegas') validateVegasOptions(options, path);
  else if (algorithm === 'aimd') validateAimdOptions(options, path);
  else validateGradient2Options(options, path);
}

/**
 * The limit algorithm `options` describe (validated, errors under `path`), or `options` itself when
 * it is one already. A given algorithm object must not be shared: it learns from one limiter's calls.
 */
export function createLimitAlgorithm(options: AdaptiveLimitOptions | LimitAlgorithm | undefined, path: string): LimitAlgorithm {
  if (isLimitAlgorithm(options)) return checkAlgorithm(options, path);
  validateAdaptiveLimitOptions(options, path);
  if (options === undefined) return new Gradient2Limit({}, path);
  const { algorithm, ...rest } = options;
  if (algorithm === 'vegas') return new VegasLimit(rest, path);
  if (algorithm === 'aimd') return new AimdLimit(rest, path);
  return new Gradient2Limit(rest, path);
}

function checkAlgorithm(algorithm: LimitAlgorithm, path: string): LimitAlgorithm {
  const limit = algorithm.limit;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidOptionsError(`${path}.limit`, 'must be a positive integer', limit);
  return algorithm;
}
