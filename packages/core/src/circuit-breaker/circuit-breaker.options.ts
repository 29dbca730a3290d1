import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ErrorClass } from '../policy/policy.interface.js';
import { MAX_COUNT_WINDOW_SIZE, MAX_KEY_LENGTH, MAX_KEYS, MAX_TIMER_DELAY_MS } from '../validation/option-limits.js';
import {
  checkAtMost,
  checkBoolean,
  checkErrorClasses,
  checkFunction,
  checkKnownKeys,
  checkObject,
  checkOneOf,
  checkPercentage,
  checkPositiveInteger,
  checkPositiveDuration,
} from '../validation/option-validators.js';

/** Where a breaker is: `forced-open` and `disabled` are only ever entered by hand. */
export type CircuitBreakerState = 'closed' | 'open' | 'half-open' | 'forced-open' | 'disabled';

/** The calls a rate-mode breaker judges: the last `size` calls, or the calls of the last `durationMs`. */
export type SlidingWindowOptions = { type: 'count'; size: number } | { type: 'time'; durationMs: number };

/**
 * A growing open period: each consecutive re-open from half-open (a trial round that failed or was
 * abandoned) multiplies it, `recoveryTimeout * multiplier^n` for the n-th re-open in a row, capped at
 * `maxRecoveryTimeout`. It is back to `recoveryTimeout` once the breaker closes, or is reset or
 * disabled. (resilience4j's `waitIntervalFunctionInOpenState`, Polly's `BreakDurationGenerator`.)
 */
export interface RecoveryBackoffOptions {
  /** Growth factor per consecutive re-open, at least 1. Default 2. */
  multiplier?: number;
  /** Longest open period, in ms: at least `recoveryTimeout`, at most 2^31 - 1. Required. */
  maxRecoveryTimeout: number;
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (consecutive mode). Default 5. */
  failureThreshold?: number;
  /** Milliseconds the breaker stays open before it lets trial calls through. Default 30 000; at most 2^31 - 1. */
  recoveryTimeout?: number;
  /**
   * Opt-in: lengthen the open period after each consecutive re-open, up to a cap (see
   * `RecoveryBackoffOptions`). Default: none, every open period lasts `recoveryTimeout`.
   */
  recoveryBackoff?: RecoveryBackoffOptions;
  /** Trial calls admitted at once while half-open. Default 1. */
  halfOpenMaxCalls?: number;
  /** When present, the breaker judges failure and slow-call rates over this window (rate mode). */
  window?: SlidingWindowOptions;
  /** Failure rate, in percent, that opens the breaker (rate mode). Default 50. */
  failureRateThreshold?: number;
  /** Calls the window must hold before it can open the breaker (rate mode). Default 10. */
  minimumCalls?: number;
  /** A call that takes longer than this many milliseconds is slow. Default `Infinity` (none is); else at most 2^31 - 1. */
  slowCallDurationThreshold?: number;
  /** Slow-call rate, in percent, that opens the breaker (rate mode). Default 100. */
  slowCallRateThreshold?: number;
  /** `false` makes an error count as a success (the dependency answered). Default: every error fails. */
  isFailure?: (error: unknown) => boolean;
  /**
   * `true` makes a returned value count as a failure (a 503 answer object, an empty result): the
   * call still resolves with the value, the breaker only books it. A predicate that throws counts
   * the value as a failure, as a throwing `isFailure` does. Default: every value is a success.
   */
  isFailureResult?: (value: unknown) => boolean;
  /** Errors of these classes count as neither success nor failure. */
  ignore?: ErrorClass[];
  /** Reported in snapshots: an open critical breaker takes the health status `down`. Default false. */
  critical?: boolean;
  /** Give `CircuitOpenError` a stack trace (costly on a fast-fail path). Default false. */
  captureStackTrace?: boolean;
  /**
   * Upper bounds (ms, ascending) of a call-duration histogram kept from the start, or `false` for
   * never. Default: none until a metrics exporter calls `enableDurationHistogram()` (timing costs
   * two clock reads per call); `DEFAULT_DURATION_BUCKETS_MS` spans 5 ms to 10 s.
   */
  durationBuckets?: readonly number[] | false;
  /**
   * Per-key breakers only (`KeyedCircuitBreakers`, `@CircuitBreaker({ key })`): how many keys a
   * family keeps in memory; beyond it the least recently used closed one is dropped (an open one is
   * kept until its open period is over). Default 1000; at most 100 000.
   */
  maxKeys?: number;
  /**
   * Per-key breakers only: the longest key accepted, in characters; a longer one is refused (the
   * call rejects with a `RangeError`) and never stored. Default 256; at most 10 000.
   */
  maxKeyLength?: number;
  /**
   * Per-key breakers only: milliseconds after which an unused key's closed breaker is dropped
   * (checked lazily, no timer). Default 600 000 (10 minutes); at most 2^31 - 1.
   */
  keyIdleTimeout?: number;
}

/** The options a breaker runs with once defaults are applied. */
export interface ResolvedCircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly recoveryTimeout: number;
  readonly recoveryBackoff: Readonly<Required<RecoveryBackoffOptions>> | undefined;
  readonly halfOpenMaxCalls: number;
  readonly window: Readonly<SlidingWindowOptions> | undefined;
  readonly failureRateThreshold: number;
  readonly minimumCalls: number;
  readonly slowCallDurationThreshold: number;
  readonly slowCallRateThreshold: number;
  readonly isFailure: (error: unknown) => boolean;
  readonly isFailureResult: ((value: unknown) => boolean) | undefined;
  readonly ignore: readonly ErrorClass[];
  readonly critical: boolean;
  readonly captureStackTrace: boolean;
  readonly durationBuckets: readonly number[] | false | undefined;
  readonly maxKeys: number;
  readonly maxKeyLength: number;
  readonly keyIdleTimeout: number;
}

function everyErrorIsAFailure(): boolean {
  return true;
}

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: ResolvedCircuitBreakerOptions = Object.freeze({
  failureThreshold: 5,
  recoveryTimeout: 30_000,
  recoveryBackoff: undefined,
  halfOpenMaxCalls: 1,
  window: undefined,
  failureRateThreshold: 50,
  minimumCalls: 10,
  slowCallDurationThreshold: Infinity,
  slowCallRateThreshold: 100,
  isFailure: everyErrorIsAFailure,
  isFailureResult: undefined,
  ignore: Object.freeze([]) as readonly ErrorClass[],
  critical: false,
  captureStackTrace: false,
  durationBuckets: undefined,
  maxKeys: 1000,
  maxKeyLength: 256,
  keyIdleTimeout: 600_000,
});

const KNOWN_KEYS: readonly string[] = [
  'failureThreshold',
  'recoveryTimeout',
  'recoveryBackoff',
  'halfOpenMaxCalls',
  'window',
  'failureRateThreshold',
  'minimumCalls',
  'slowCallDurationThreshold',
  'slowCallRateThreshold',
  'isFailure',
  'isFailureResult',
  'ignore',
  'critical',
  'captureStackTrace',
  'durationBuckets',
  'maxKeys',
  'maxKeyLength',
  'keyIdleTimeout',
  // Plumbing for breakers built by hand or by a framework (`CircuitBreakerPolicyOptions`).
  'name',
  'clock',
  'validationPath',
];

/**
 * Checks breaker options as a user wrote them (`undefined` fields take their defaults), throwing an
 * `InvalidOptionsError` naming `${path}.field`.
 */
export function validateCircuitBreakerOptions(options: unknown, path: string): void {
  checkObject(path, options);
  if (options === undefined) return;
  const record = options as Record<string, unknown>;
  // `key` (one breaker of a per-key family) is plumbing set by the family: checked, never listed.
  const { key, ...rest } = record;
  checkKnownKeys(path, rest, KNOWN_KEYS);
  if (key !== undefined && typeof key !== 'string') throw new InvalidOptionsError(`${path}.key`, 'must be a string', key);
  checkPositiveInteger(`${path}.failureThreshold`, record['failureThreshold']);
  checkPositiveDuration(`${path}.recoveryTimeout`, record['recoveryTimeout']);
  validateRecoveryBackoff(record['recoveryBackoff'], `${path}.recoveryBackoff`, record['recoveryTimeout']);
  checkPositiveInteger(`${path}.halfOpenMaxCalls`, record['halfOpenMaxCalls']);
  validateWindow(record['window'], `${path}.window`);
  checkPercentage(`${path}.failureRateThreshold`, record['failureRateThreshold']);
  checkPositiveInteger(`${path}.minimumCalls`, record['minimumCalls']);
  // Infinity is the documented default ("no call is slow"), so writing it out must be accepted too.
  if (record['slowCallDurationThreshold'] !== Infinity) {
    checkPositiveDuration(`${path}.slowCallDurationThreshold`, record['slowCallDurationThreshold']);
  }
  checkPercentage(`${path}.slowCallRateThreshold`, record['slowCallRateThreshold']);
  checkFunction(`${path}.isFailure`, record['isFailure']);
  checkFunction(`${path}.isFailureResult`, record['isFailureResult']);
  checkErrorClasses(`${path}.ignore`, record['ignore']);
  checkBoolean(`${path}.critical`, record['critical']);
  checkBoolean(`${path}.captureStackTrace`, record['captureStackTrace']);
  checkDurationBuckets(`${path}.durationBuckets`, record['durationBuckets']);
  checkPositiveInteger(`${path}.maxKeys`, record['maxKeys']);
  checkAtMost(`${path}.maxKeys`, record['maxKeys'], MAX_KEYS, ' (each key keeps a breaker in memory)');
  checkPositiveInteger(`${path}.maxKeyLength`, record['maxKeyLength']);
  checkAtMost(`${path}.maxKeyLength`, record['maxKeyLength'], MAX_KEY_LENGTH, ' characters');
  checkPositiveInteger(`${path}.keyIdleTimeout`, record['keyIdleTimeout']);
  checkAtMost(`${path}.keyIdleTimeout`, record['keyIdleTimeout'], MAX_TIMER_DELAY_MS, ' ms (the longest timer delay)');
  const name = record['name'];
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new InvalidOptionsError(`${path}.name`, 'must be a non-empty string', name);
  }
  const validationPath = record['validationPath'];
  if (validationPath !== undefined && typeof validationPath !== 'string') {
    throw new InvalidOptionsError(`${path}.validationPath`, 'must be a string', validationPath);
  }
  const clock = record['clock'];
  checkObject(`${path}.clock`, clock);
  if (clock === undefined) return;
  const now = (clock as { now?: unknown }).now;
  if (typeof now !== 'function') throw new InvalidOptionsError(`${path}.clock.now`, 'must be a function', now);
}

function checkDurationBuckets(path: string, buckets: unknown): void {
  if (buckets === undefined || buckets === false) return;
  const valid =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((bound, i) => typeof bound === 'number' && Number.isFinite(bound) && bound > 0 && (i === 0 || bound > (buckets[i - 1] as number)));
  if (!valid) throw new InvalidOptionsError(path, 'must be false or a non-empty ascending array of positive numbers (ms)', buckets);
}

/** Default growth factor of `recoveryBackoff`. */
export const DEFAULT_RECOVERY_BACKOFF_MULTIPLIER = 2;

function validateRecoveryBackoff(backoff: unknown, path: string, recoveryTimeout: unknown): void {
  checkObject(path, backoff);
  if (backoff === undefined) return;
  const record = backoff as Record<string, unknown>;
  checkKnownKeys(path, record, ['multiplier', 'maxRecoveryTimeout']);
  const multiplier = record['multiplier'];
  if (multiplier !== undefined && (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1)) {
    throw new InvalidOptionsError(`${path}.multiplier`, 'must be a number >= 1', multiplier);
  }
  const max = record['maxRecoveryTimeout'];
  if (max === undefined) throw new InvalidOptionsError(`${path}.maxRecoveryTimeout`, 'is required (the longest open period, in ms)', max);
  checkPositiveDuration(`${path}.maxRecoveryTimeout`, max);
  const base = typeof recoveryTimeout === 'number' ? recoveryTimeout : DEFAULT_CIRCUIT_BREAKER_OPTIONS.recoveryTimeout;
  if ((max as number) < base) throw new InvalidOptionsError(`${path}.maxRecoveryTimeout`, `must be at least recoveryTimeout (${base})`, max);
}

function validateWindow(window: unknown, path: string): void {
  checkObject(path, window);
  if (window === undefined) return;
  const record = window as Record<string, unknown>;
  const type = record['type'];
  if (type === undefined) throw new InvalidOptionsError(`${path}.type`, "must be one of 'count', 'time'", type);
  checkOneOf(`${path}.type`, type, ['count', 'time']);
  const sizeKey = type === 'count' ? 'size' : 'durationMs';
  checkKnownKeys(path, record, ['type', sizeKey]);
  const size = record[sizeKey];
  if (size === undefined) throw new InvalidOptionsError(`${path}.${sizeKey}`, 'is required', size);
  if (type === 'count') {
    checkPositiveInteger(`${path}.size`, size);
    checkAtMost(`${path}.size`, size, MAX_COUNT_WINDOW_SIZE, ' (the window keeps every call, allocated up front)');
  } else {
    checkPositiveDuration(`${path}.durationMs`, size);
  }
}

/** Applies the defaults to validated options; the result, its window, `recoveryBackoff` and `ignore` list are frozen. */
export function resolveCircuitBreakerOptions(options: CircuitBreakerOptions = {}): ResolvedCircuitBreakerOptions {
  const d = DEFAULT_CIRCUIT_BREAKER_OPTIONS;
  return Object.freeze({
    failureThreshold: options.failureThreshold ?? d.failureThreshold,
    recoveryTimeout: options.recoveryTimeout ?? d.recoveryTimeout,
    recoveryBackoff:
      options.recoveryBackoff === undefined
        ? undefined
        : Object.freeze({
            multiplier: options.recoveryBackoff.multiplier ?? DEFAULT_RECOVERY_BACKOFF_MULTIPLIER,
            maxRecoveryTimeout: options.recoveryBackoff.maxRecoveryTimeout,
          }),
    halfOpenMaxCalls: options.halfOpenMaxCalls ?? d.halfOpenMaxCalls,
    // Copied so a caller mutating its options object later cannot change a running breaker.
    window: options.window === undefined ? undefined : Object.freeze({ ...options.window }),
    failureRateThreshold: options.failureRateThreshold ?? d.failureRateThreshold,
    minimumCalls: options.minimumCalls ?? d.minimumCalls,
    slowCallDurationThreshold: options.slowCallDurationThreshold ?? d.slowCallDurationThreshold,
    slowCallRateThreshold: options.slowCallRateThreshold ?? d.slowCallRateThreshold,
    isFailure: options.isFailure ?? d.isFailure,
    isFailureResult: options.isFailureResult,
    ignore: options.ignore === undefined ? d.ignore : Object.freeze([...options.ignore]),
    critical: options.critical ?? d.critical,
    captureStackTrace: options.captureStackTrace ?? d.captureStackTrace,
    durationBuckets: Array.isArray(options.durationBuckets) ? Object.freeze([...options.durationBuckets]) : options.durationBuckets,
    maxKeys: options.maxKeys ?? d.maxKeys,
    maxKeyLength: options.maxKeyLength ?? d.maxKeyLength,
    keyIdleTimeout: options.keyIdleTimeout ?? d.keyIdleTimeout,
  });
}
