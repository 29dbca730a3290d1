import type { Clock } from '../clock/clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ErrorClass } from '../policy/policy.interface.js';
import { MAX_STALE_ENTRIES } from '../validation/option-limits.js';
import {
  checkAtMost,
  checkFunction,
  checkKnownKeys,
  checkObject,
  checkPolicyOptions,
  checkPositiveDuration,
  checkPositiveInteger,
} from '../validation/option-validators.js';

/** What a `staleIfError.map` learns about the stale value it is given. */
export interface StaleInfo {
  /** How old the value is, in ms on the policy clock. */
  readonly ageMs: number;
  /** The failure the stale value stands in for: the error, or the value `onResult` rejected. */
  readonly error: unknown;
}

/** Serve the last successful result for the same arguments when a call fails. */
export interface StaleIfErrorOptions<T = unknown> {
  /** Oldest result still served, in ms. Required, positive, at most 2^31 - 1 (about 24.8 days). */
  maxAge: number;
  /** Argument lists remembered (least recently used evicted first). Default 1000; at most 1 000 000. */
  maxEntries?: number;
  /**
   * Applied to a stale value before it is returned, so callers can tell it apart from a fresh one
   * (`(price, { ageMs }) => ({ ...price, stale: true, ageMs })`). A `map` that throws rejects the
   * call with its error.
   */
  map?(value: T, info: StaleInfo): T;
}

export interface FallbackOptions<T = unknown> {
  /** Returned on failure (when no stale value and no handler apply). `undefined` counts when set. */
  value?: T;
  /** Called as `handler(...args, error)`; its result (or its error) becomes the call's outcome. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler?: (...argsThenError: any[]) => T | PromiseLike<T>;
  /** Which errors fall back: error classes (`instanceof`) or a predicate. Default: every error. */
  on?: ErrorClass[] | ((error: unknown) => boolean);
  /**
   * `true` makes a resolved value fall back as a failure would (a degraded answer, an empty list):
   * stale value, else `handler(...args, value)` (the rejected value in the error's place), else
   * `value`; with none of those the call resolves with the value as it is. A rejected value is never
   * remembered by `staleIfError`. A predicate that throws keeps the value (as a throwing `on` keeps
   * the error). Events and counters give the reason `'result'`. Default: every value is kept.
   */
  onResult?: (value: T) => boolean;
  /** Serve the last good result for the same arguments, no older than `maxAge` ms. */
  staleIfError?: StaleIfErrorOptions<T>;
  /** `staleIfError` cache key of the call's arguments. Default: `JSON.stringify(args)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  key?: (...args: any[]) => string;
}

/** What the `FallbackPolicy` constructor takes: the options plus identity and time source. */
export interface FallbackPolicyOptions<T = unknown> extends FallbackOptions<T> {
  /** Names the fallback in events. Default `'fallback'`. */
  name?: string;
  /** Reads the age of stale values. Default `systemClock`. */
  clock?: Clock;
  /** Prefix of validation messages (`bulkheads.reports`), set by frameworks that know where options came from. */
  validationPath?: string;
}

export const DEFAULT_STALE_MAX_ENTRIES = 1000;

const KNOWN_KEYS: readonly string[] = ['name', 'clock', 'validationPath', 'value', 'handler', 'on', 'onResult', 'staleIfError', 'key'];
const STALE_KEYS: readonly string[] = ['maxAge', 'maxEntries', 'map'];

/**
 * Throws `InvalidOptionsError` naming `path` and the field, e.g.
 * `fallbacks.pricing.staleIfError.maxAge must be a positive number (got 0)`.
 */
export function validateFallbackOptions(options: unknown, path: string): void {
  const record = checkPolicyOptions(path, options, KNOWN_KEYS);
  if (record === undefined) return;
  checkFunction(`${path}.handler`, record['handler']);
  checkFunction(`${path}.key`, record['key']);
  checkOn(`${path}.on`, record['on']);
  checkFunction(`${path}.onResult`, record['onResult']);
  checkStaleIfError(`${path}.staleIfError`, record['staleIfError']);
}

function checkOn(path: string, on: unknown): void {
  if (on === undefined || typeof on === 'function') return;
  if (!Array.isArray(on) || on.some((entry) => typeof entry !== 'function')) {
    throw new InvalidOptionsError(path, 'must be an array of error classes or a predicate function', on);
  }
}

function checkStaleIfError(path: string, stale: unknown): void {
  if (stale === undefined) return;
  checkObject(path, stale);
  const record = stale as Record<string, unknown>;
  checkKnownKeys(path, record, STALE_KEYS);
  // Unlike other durations maxAge has no default: serving arbitrarily old data must be a choice.
  if (record['maxAge'] === undefined) throw new InvalidOptionsError(`${path}.maxAge`, 'must be a positive number', undefined);
  checkPositiveDuration(`${path}.maxAge`, record['maxAge']);
  checkPositiveInteger(`${path}.maxEntries`, record['maxEntries']);
  checkAtMost(`${path}.maxEntries`, record['maxEntries'], MAX_STALE_ENTRIES, ' (each entry keeps a result in memory)');
  checkFunction(`${path}.map`, record['map']);
}
