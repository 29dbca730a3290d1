import { checkKnownKeys, checkObject, checkPositiveDuration } from '../validation/option-validators.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';

export interface TimeoutOptions {
  /** Milliseconds a call may take before it is abandoned with a `TimeoutError`; at most 2^31 - 1. */
  duration: number;
}

/** Timeouts from the article's rules of thumb, by kind of call. */
export const DEFAULT_TIMEOUT_PROFILES: Readonly<Record<'database' | 'internal' | 'external' | 'health', number>> = Object.freeze({
  database: 5_000,
  internal: 3_000,
  external: 10_000,
  health: 1_000,
});

/** Checks a timeout given as options (`{ duration }`) or as a number of milliseconds. */
export function validateTimeoutOptions(options: unknown, path: string): void {
  if (typeof options === 'number') {
    checkPositiveDuration(path, options);
    return;
  }
  checkObject(path, options);
  if (options === undefined) return;
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, ['duration', 'name', 'clock', 'validationPath']);
  if (record['duration'] === undefined) throw new InvalidOptionsError(`${path}.duration`, 'is required', undefined);
  checkPositiveDuration(`${path}.duration`, record['duration']);
}
