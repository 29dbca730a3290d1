import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { MAX_TIMER_DELAY_MS } from './option-limits.js';

/**
 * Option checks shared by every policy. Each takes the dotted path of the field
 * (`circuitBreakers.pricing.failureThreshold`) so messages say exactly what to fix.
 * `undefined` means "use the default" and always passes.
 */

export function checkPositiveInteger(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionsError(path, 'must be a positive integer', value);
  }
}

export function checkNonNegativeInteger(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionsError(path, 'must be a non-negative integer', value);
  }
}

/** A finite number > 0 (durations, multipliers). */
export function checkPositiveNumber(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError(path, 'must be a positive number', value);
  }
}

/**
 * A number already checked to be one, at most `max`: `must be at most ${max}${detail}`. Other
 * values pass (their own check reports them).
 */
export function checkAtMost(path: string, value: unknown, max: number, detail = ''): void {
  if (typeof value === 'number' && value > max) throw new InvalidOptionsError(path, `must be at most ${max}${detail}`, value);
}

/** A duration in ms: a finite number > 0, no longer than the longest timer delay. */
export function checkPositiveDuration(path: string, value: unknown): void {
  checkPositiveNumber(path, value);
  checkAtMost(path, value, MAX_TIMER_DELAY_MS, ' ms (the longest timer delay)');
}

/** A duration in ms that may be zero, no longer than the longest timer delay. */
export function checkNonNegativeDuration(path: string, value: unknown): void {
  checkNonNegativeNumber(path, value);
  checkAtMost(path, value, MAX_TIMER_DELAY_MS, ' ms (the longest timer delay)');
}

/** A finite number >= 0 (delays that may be zero). */
export function checkNonNegativeNumber(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionsError(path, 'must be a non-negative number', value);
  }
}

/** A percentage in (0, 100]. */
export function checkPercentage(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 100) {
    throw new InvalidOptionsError(path, 'must be a percentage greater than 0 and at most 100', value);
  }
}

export function checkOneOf(path: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new InvalidOptionsError(path, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
}

export function checkFunction(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'function') throw new InvalidOptionsError(path, 'must be a function', value);
}

export function checkBoolean(path: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'boolean') throw new InvalidOptionsError(path, 'must be a boolean', value);
}

/** An array of error classes (constructors). */
export function checkErrorClasses(path: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'function')) {
    throw new InvalidOptionsError(path, 'must be an array of error classes', value);
  }
}

export function checkObject(path: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(path, 'must be an object', value);
  }
}

/** Keys accepted for policies built by hand or by a framework, not worth listing to users. */
const PLUMBING_KEYS: ReadonlySet<string> = new Set(['name', 'clock', 'validationPath', 'random']);

/** Rejects keys the options type does not know: a typo must not silently fall back to a default. */
export function checkKnownKeys(path: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const listed = known.filter((k) => !PLUMBING_KEYS.has(k)).join(', ');
      throw new InvalidOptionsError(`${path}.${key}`, `is not a known option (known: ${listed})`, (value as Record<string, unknown>)[key]);
    }
  }
}

/** A finite number in `[low, high]` (`lowOpen` / `highOpen` exclude the bound): `must be ${description}`. */
export function checkNumberIn(path: string, value: unknown, low: number, high: number, description: string, lowOpen = false, highOpen = false): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (lowOpen ? value > low : value >= low) &&
    (highOpen ? value < high : value <= high);
  if (!ok) throw new InvalidOptionsError(path, `must be ${description}`, value);
}

/** A whole number (of samples, windows, calls) in `[min, max]`. */
export function checkCount(path: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(path, `must be an integer from ${min} to ${max}`, value);
  }
}

/**
 * What every policy's options check first: an object (or `undefined`, the defaults) of known keys,
 * with a non-empty `name` and an object `clock` when given. Returns the options as a record, or
 * `undefined` for `undefined`.
 */
export function checkPolicyOptions(path: string, options: unknown, known: readonly string[]): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  checkObject(path, options);
  const record = options as Record<string, unknown>;
  checkKnownKeys(path, record, known);
  if (record['name'] !== undefined && (typeof record['name'] !== 'string' || record['name'] === '')) {
    throw new InvalidOptionsError(`${path}.name`, 'must be a non-empty string', record['name']);
  }
  checkObject(`${path}.clock`, record['clock']);
  return record;
}
