import {
  InvalidOptionsError,
  validateAdaptiveBulkheadOptions,
  validateBulkheadOptions,
  type AdaptiveBulkheadOptions,
  type BulkheadOptions,
  type LimitAlgorithm,
} from '@bulwark/core';

/**
 * A bulkhead as the module options and `@Bulkhead` take it: static (`maxConcurrent`, `maxQueue`)
 * or adaptive (`adaptive: true` or the limit's options, `maxQueue`), never both: an adaptive
 * bulkhead learns its limit (bound it with `adaptive.maxLimit`). `adaptive: false` says static,
 * overriding an adaptive default.
 */
export type ResilienceBulkheadOptions =
  | (BulkheadOptions & { adaptive?: false })
  | (AdaptiveBulkheadOptions & { maxConcurrent?: undefined });

/** Whether `options` (merged or one layer) ask for an adaptive bulkhead. */
export function isAdaptive(options: ResilienceBulkheadOptions | undefined): options is AdaptiveBulkheadOptions {
  const adaptive = options?.adaptive;
  return adaptive !== undefined && adaptive !== false;
}

/**
 * Throws `InvalidOptionsError` naming `path` and the field: the static bulkhead's checks, or the
 * adaptive one's (`bulkheads.reports.adaptive.minLimit must be a positive integer (got 0)`), and
 * `maxConcurrent` beside `adaptive` is an error. `undefined` means defaults.
 */
export function validateResilienceBulkheadOptions(options: unknown, path: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    validateBulkheadOptions(options, path);
    return;
  }
  const { adaptive, ...rest } = options as Record<string, unknown>;
  if (adaptive === undefined || adaptive === false) {
    validateBulkheadOptions(rest, path);
    return;
  }
  if (rest['maxConcurrent'] !== undefined) {
    throw new InvalidOptionsError(
      `${path}.maxConcurrent`,
      'cannot be given with adaptive: an adaptive bulkhead learns its limit (bound it with adaptive.maxLimit, or leave adaptive out for a static one)',
      rest['maxConcurrent'],
    );
  }
  validateAdaptiveBulkheadOptions(options, path);
}

/**
 * `defaults.bulkhead` may make every bulkhead adaptive, with the limit's options, but not with a
 * `LimitAlgorithm` object: one object would learn from every bulkhead's calls at once.
 */
export function validateDefaultBulkheadOptions(options: unknown, path: string): void {
  validateResilienceBulkheadOptions(options, path);
  const adaptive = (options as Record<string, unknown> | undefined)?.['adaptive'];
  if (isLimitAlgorithm(adaptive)) {
    throw new InvalidOptionsError(`${path}.adaptive`, 'must be true or the limit options, not a LimitAlgorithm object (it would be shared by every bulkhead)', adaptive);
  }
}

/**
 * Options of the layers a bulkhead is built from (module defaults, a decorator's inline options,
 * the module options for its name), most specific last, merged field by field, except that the
 * most specific layer saying `adaptive` or `maxConcurrent` decides which kind of bulkhead it is:
 * `defaults: { bulkhead: { adaptive: true } }` with `bulkheads: { reports: { maxConcurrent: 4 } }`
 * gives a static `reports`. `adaptive` is taken whole from the layer that gives it.
 */
export function mergeBulkheadOptions(layers: readonly (ResilienceBulkheadOptions | undefined)[]): ResilienceBulkheadOptions {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer.adaptive !== undefined || layer.maxConcurrent !== undefined) {
      delete merged['adaptive'];
      delete merged['maxConcurrent'];
    }
    merged = { ...merged, ...layer };
  }
  return merged as ResilienceBulkheadOptions;
}

/** Whether `value` is a limit algorithm object rather than its options. */
export function isLimitAlgorithm(value: unknown): value is LimitAlgorithm {
  return typeof value === 'object' && value !== null && typeof (value as LimitAlgorithm).onSample === 'function';
}
