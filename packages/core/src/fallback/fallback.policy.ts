import { systemClock, type Clock } from '../clock/clock.js';
import { isCancellation, type ExecutionScope } from '../context/execution-scope.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { FallbackStage } from '../engine/pipeline-stages.js';
import { anyResult, EmittedValues, mapResult } from '../policy/emitted-values.js';
import type { ErrorClass } from '../policy/policy.interface.js';
import { WITHDRAWN_CALL } from '../policy/withdrawn-call.js';
import { fallbackReason, type FallbackReason } from './fallback-reason.js';
import {
  DEFAULT_STALE_MAX_ENTRIES,
  validateFallbackOptions,
  type FallbackPolicyOptions,
  type StaleInfo,
} from './fallback.options.js';
import { StaleResultCache, staleCacheKey } from './stale-result.cache.js';

/** Where a fallback result came from. */
export type FallbackSource = 'stale' | 'handler' | 'value';

/** Emitted each time the policy falls back (before a handler runs, whatever it then does). */
export interface FallbackEvent {
  readonly name: string;
  readonly source: FallbackSource;
  readonly reason: FallbackReason;
  /** The failure that triggered the fallback: the error, or (reason `result`) the rejected value. */
  readonly error: unknown;
  /** Age of the stale value in ms; only for `source: 'stale'`. */
  readonly ageMs?: number;
}

/** Fallbacks served since creation, per reason. */
export type FallbackCounts = Record<FallbackReason, number>;

/**
 * Turns a failure into a result: the last good result for the same arguments (`staleIfError`),
 * else `handler(...args, error)`, else `value`; an error that `on` does not match, or a failure
 * with none of those available, is rethrown as the original error object. With `onResult`, a
 * value it rejects is a failure too (passed where the error would be), except that with nothing
 * to stand in for it the call resolves with it.
 *
 * `staleIfError` keys each call by its arguments (`key(...args)`, default `JSON.stringify(args)`),
 * computed before the operation runs so an operation mutating its arguments cannot misfile its
 * result. When the key cannot be computed (circular arguments, a BigInt, a throwing `key`, a
 * non-string key) that one call is neither cached nor served stale: caching is an optimisation
 * and must never fail a call. Note that the default key maps `undefined`, functions and `null`
 * alike (JSON), and that a stale value is the same object that was returned before.
 */
export class FallbackPolicy extends PipelinePolicy implements FallbackStage {
  readonly kind = 'fallback' as const;
  readonly name: string;
  /** Fires each time the policy falls back. */
  readonly onFallback: Event<FallbackEvent>;

  private readonly clock: Clock;
  private readonly on: ErrorClass[] | ((error: unknown) => boolean) | undefined;
  private readonly onResult: ((value: unknown) => boolean) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly handler: ((...argsThenError: any[]) => unknown) | undefined;
  private readonly hasValue: boolean;
  private readonly value: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly key: ((...args: any[]) => string) | undefined;
  private readonly cache: StaleResultCache | undefined;
  private readonly maxAge: number;
  private readonly mapStale: ((value: unknown, info: StaleInfo) => unknown) | undefined;
  private readonly counts: FallbackCounts = { circuit_open: 0, timeout: 0, bulkhead_full: 0, error: 0, result: 0 };
  private readonly fallbackEmitter = new EventEmitter<FallbackEvent>();
  /** True with `staleIfError` or `onResult` (see `ResiliencePolicy.inspectsResults`). */
  readonly inspectsResults: boolean;

  constructor(options: FallbackPolicyOptions) {
    super();
    const name = typeof options?.name === 'string' && options.name !== '' ? options.name : 'fallback';
    validateFallbackOptions(options, options.validationPath ?? `fallbacks.${name}`);
    const resolved: FallbackPolicyOptions = options ?? {};
    this.name = name;
    this.clock = resolved.clock ?? systemClock;
    this.on = resolved.on;
    this.onResult = resolved.onResult as ((value: unknown) => boolean) | undefined;
    this.handler = resolved.handler;
    this.hasValue = 'value' in resolved;
    this.value = resolved.value;
    this.key = resolved.key;
    const stale = resolved.staleIfError;
    this.cache = stale === undefined ? undefined : new StaleResultCache(stale.maxEntries ?? DEFAULT_STALE_MAX_ENTRIES);
    this.maxAge = stale?.maxAge ?? 0;
    this.mapStale = stale?.map === undefined ? undefined : stale.map.bind(stale);
    this.inspectsResults = this.cache !== undefined || this.onResult !== undefined;
    this.onFallback = this.fallbackEmitter.event;
  }

  /** Fallbacks served since creation, per reason (a snapshot). */
  get fallbackCounts(): Readonly<FallbackCounts> {
    return { ...this.counts };
  }

  /** Fallbacks served since creation, all reasons together. */
  get fallbackCount(): number {
    const counts = this.counts;
    return counts.circuit_open + counts.timeout + counts.bulkhead_full + counts.error + counts.result;
  }

  /** Argument lists currently remembered by `staleIfError` (0 without it). */
  get staleEntries(): number {
    return this.cache?.size ?? 0;
  }

  /** Forgets every remembered result (e.g. after a deploy that changes their shape). */
  clearStale(): void {
    this.cache?.clear();
  }

  /**
   * @internal A call's value: remembered (for `staleIfError`) and returned, or, when `onResult`
   * rejects it, replaced as a failure would be. Never throws: a throwing handler rejects.
   */
  accept<T>(key: string | undefined, value: T, args: readonly unknown[], thisArg: unknown): T | Promise<T> {
    if (this.onResult === undefined || !this.rejectsResult(value)) return this.remember(key, value);
    try {
      // An Observable's handler is given the value that was rejected, not the buffer around it.
      const rejected = value instanceof EmittedValues ? value.values.find((one) => this.rejectsResult(one)) : value;
      return this.substitute(rejected, false, args, key, thisArg) as T | Promise<T>;
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  /** @internal The `staleIfError` key of a call's arguments; undefined without `staleIfError`. */
  staleKey(args: readonly unknown[]): string | undefined {
    return this.cache === undefined ? undefined : this.keyOf(args);
  }

  /** @internal Remembers a successful result under its key (for `staleIfError`), and returns it. */
  remember<T>(key: string | undefined, value: T): T {
    if (key !== undefined) this.cache!.remember(key, value, this.clock.now());
    return value;
  }

  private keyOf(args: readonly unknown[]): string | undefined {
    try {
      const keyOf = this.key;
      const key = keyOf === undefined ? JSON.stringify(args) : keyOf(...args);
      return typeof key === 'string' ? staleCacheKey(key) : undefined;
    } catch {
      return undefined;
    }
  }

  /** @internal Runs on failure; throwing here (or a rejected handler result) rejects the call. */
  recover(error: unknown, args: readonly unknown[], key: string | undefined, thisArg: unknown, scope: ExecutionScope): unknown {
    // A call its caller cancelled is not a failure to cover up (the caller is gone), and a
    // withdrawn one never happened.
    if (error === WITHDRAWN_CALL || isCancellation(error, scope) || !this.matches(error)) throw error;
    return this.substitute(error, true, args, key, thisArg);
  }

  /**
   * What stands in for a failure (`threw`: an error, else a value `onResult` rejected): the stale
   * value, the handler's result, or `value`. With none, the error is rethrown and the value returned.
   */
  private substitute(failure: unknown, threw: boolean, args: readonly unknown[], key: string | undefined, thisArg: unknown): unknown {
    if (key !== undefined) {
      const now = this.clock.now();
      const entry = this.cache!.lookup(key, now, this.maxAge);
      if (entry !== undefined) {
        const ageMs = now - entry.at;
        this.engage('stale', failure, threw, ageMs);
        const map = this.mapStale;
        // An Observable's stale values are mapped one by one.
        return map === undefined ? entry.value : mapResult(entry.value, (value) => map(value, { ageMs, error: failure }));
      }
    }
    const handler = this.handler;
    if (handler !== undefined) {
      this.engage('handler', failure, threw, undefined);
      // `thisArg`: the instance whose method failed, so `@Fallback(fn)` and method handlers see it.
      return handler.call(thisArg, ...args, failure);
    }
    if (this.hasValue) {
      this.engage('value', failure, threw, undefined);
      return this.value;
    }
    if (threw) throw failure;
    return failure;
  }

  /** A throwing `onResult` keeps the value, as a throwing `on` keeps the error. */
  private rejectsResult(value: unknown): boolean {
    try {
      // An Observable's values fall back when any of them is rejected.
      return anyResult(value, this.onResult!);
    } catch {
      return false;
    }
  }

  /**
   * A predicate that throws (or an `on` entry `instanceof` rejects) counts as "no match": the
   * caller then sees its original error rather than a bug of the filter.
   */
  private matches(error: unknown): boolean {
    const on = this.on;
    if (on === undefined) return true;
    try {
      if (typeof on === 'function') return Boolean(on(error));
      for (let i = 0; i < on.length; i++) {
        if (error instanceof on[i]!) return true;
      }
    } catch {
      return false;
    }
    return false;
  }

  private engage(source: FallbackSource, error: unknown, threw: boolean, ageMs: number | undefined): void {
    const reason: FallbackReason = threw ? fallbackReason(error) : 'result';
    this.counts[reason]++;
    if (!this.fallbackEmitter.hasListeners) return;
    this.fallbackEmitter.emit(
      ageMs === undefined ? { name: this.name, source, reason, error } : { name: this.name, source, reason, error, ageMs },
    );
  }
}
