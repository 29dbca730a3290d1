import type { BackoffStrategy } from '../backoff/backoff.interface.js';
import { exponentialBackoff } from '../backoff/exponential.backoff.js';
import { systemClock, type Clock } from '../clock/clock.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { EventEmitter } from '../events/event-emitter.js';
import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { RetryStage } from '../engine/pipeline-stages.js';
import { invoke } from '../policy/invoke.js';
import { anyResult } from '../policy/emitted-values.js';
import type { ErrorClass, Operation } from '../policy/policy.interface.js';
import { WITHDRAWN_CALL } from '../policy/withdrawn-call.js';
import type { RetryBudget } from './retry-budget.interface.js';
import { isRetryBudget } from './retry-budget.options.js';
import { DEFAULT_RETRY_OPTIONS, validateRetryOptions, type RetryOptions } from './retry.options.js';
import { serverRetryDelay } from './server-retry-delay.js';
import { TokenBucketRetryBudget } from './token-bucket.retry-budget.js';

/** Emitted before each wait for a retry. */
export interface RetryEvent {
  readonly name: string;
  /** The attempt that failed, 1-based (so the retry about to run is attempt + 1). */
  readonly attempt: number;
  /** Milliseconds the policy waits before the next attempt. */
  readonly delay: number;
  /** What the failed attempt threw (absent when a result was rejected by `retryOnResult`). */
  readonly error?: unknown;
  /** The result `retryOnResult` asked to retry (absent when the attempt threw). */
  readonly result?: unknown;
}

/** Emitted once when a call ends without success, whatever the reason. */
export interface GiveUpEvent {
  readonly name: string;
  /** Attempts made (at least 1: a call cancelled before its first attempt is not counted at all). */
  readonly attempts: number;
  /** What the call rejects with (absent when it resolves with a result `retryOnResult` rejected). */
  readonly error?: unknown;
  /** The last result, when retries ran out on results `retryOnResult` rejected. */
  readonly result?: unknown;
  /** True when the retry budget refused the next retry (absent otherwise). */
  readonly budgetExhausted?: true;
}

/** Cumulative call outcomes since the policy was created ("with retry" = more than one attempt made). */
export interface RetryStats {
  readonly successWithoutRetry: number;
  readonly successWithRetry: number;
  readonly failedWithRetry: number;
  readonly failedWithoutRetry: number;
}

export type RetryPolicyOptions = RetryOptions & {
  name?: string;
  clock?: Clock;
  random?: () => number;
  /** Prefix of validation messages (`bulkheads.reports`), set by frameworks that know where options came from. */
  validationPath?: string;
};

/**
 * Runs an operation again after a failure, waiting an exponential, jittered delay between
 * attempts. Each attempt receives the call's scope, so cancellation and an outer deadline reach
 * every attempt; a wait ends at once when the scope aborts, and no wait starts that the deadline
 * would cut short.
 *
 * Outcomes: the first success is returned as is; once retries run out (or the deadline leaves
 * no room) the ORIGINAL last error is rethrown unchanged (same object, non-Error values included)
 * or, when the attempts produced results `retryOnResult` rejected, the last result is returned.
 * A cancelled call rejects with the scope's reason.
 *
 * Retry budget (`budget`): each call records itself once, and each retry must be granted by the
 * budget first; a refusal ends the call exactly as if retries had run out (original error, or last
 * result), and is counted in `budgetExhaustedCount`.
 *
 * Zero delays: no timer is set; the loop still yields one microtask turn (an `await`) between
 * attempts, and checks for cancellation before the next one.
 */
export class RetryPolicy extends PipelinePolicy implements RetryStage {
  readonly kind = 'retry' as const;
  readonly name: string;
  /** Retries after the first attempt (attempts in all: maxRetries + 1). */
  readonly maxRetries: number;
  /** Computes each wait; shared by concurrent calls (it is stateless). */
  readonly backoff: BackoffStrategy;
  /** Grants or refuses each retry (undefined: retries limited by `maxRetries` only). */
  readonly budget: RetryBudget | undefined;
  /** True with `retryOnResult` (see `ResiliencePolicy.inspectsResults`). */
  readonly inspectsResults: boolean;

  private readonly clock: Clock;
  private readonly retryOnPredicate: ((error: unknown, attempt: number) => boolean) | undefined;
  private readonly retryOnClasses: readonly ErrorClass[] | undefined;
  private readonly retryOnResult: ((value: unknown) => boolean) | undefined;
  private readonly retryOnCircuitOpen: boolean;
  private readonly retryAfter: ((outcome: unknown) => number | undefined) | false;
  /** The cap on every delay (`maxDelay`): a server asking for longer is not retried. */
  private readonly maxDelay: number;
  private readonly retryOnBulkheadFull: boolean;

  private readonly retryEmitter = new EventEmitter<RetryEvent>();
  private readonly giveUpEmitter = new EventEmitter<GiveUpEvent>();

  /** Emitted before each wait for a retry. */
  readonly onRetry = this.retryEmitter.event;
  /** Emitted once when a call ends without success (error thrown, results rejected, cancelled). */
  readonly onGiveUp = this.giveUpEmitter.event;

  private successWithoutRetry = 0;
  private successWithRetry = 0;
  private failedWithRetry = 0;
  private failedWithoutRetry = 0;
  private budgetExhausted = 0;

  constructor(options: RetryPolicyOptions = {}) {
    super();
    const name = options?.name ?? 'retry';
    validateRetryOptions(options, options.validationPath ?? `retry "${String(name)}"`);
    this.name = name;
    this.maxRetries = options.maxRetries ?? DEFAULT_RETRY_OPTIONS.maxRetries;
    this.clock = options.clock ?? systemClock;
    const backoffOptions: Parameters<typeof exponentialBackoff>[0] = {
      baseDelay: options.baseDelay ?? DEFAULT_RETRY_OPTIONS.baseDelay,
      multiplier: options.multiplier ?? DEFAULT_RETRY_OPTIONS.multiplier,
      maxDelay: options.maxDelay ?? DEFAULT_RETRY_OPTIONS.maxDelay,
      jitter: options.jitter ?? DEFAULT_RETRY_OPTIONS.jitter,
    };
    if (options.random !== undefined) backoffOptions.random = options.random;
    this.backoff = exponentialBackoff(backoffOptions);
    const retryOn = options.retryOn;
    this.retryOnPredicate = typeof retryOn === 'function' ? retryOn : undefined;
    // Copied so a caller mutating its array later cannot change the policy.
    this.retryOnClasses = Array.isArray(retryOn) ? Object.freeze([...retryOn]) : undefined;
    this.retryOnResult = options.retryOnResult;
    this.inspectsResults = options.retryOnResult !== undefined;
    this.retryOnCircuitOpen = options.retryOnCircuitOpen ?? DEFAULT_RETRY_OPTIONS.retryOnCircuitOpen;
    this.retryAfter = options.retryAfter ?? serverRetryDelay;
    this.maxDelay = backoffOptions.maxDelay ?? DEFAULT_RETRY_OPTIONS.maxDelay;
    this.retryOnBulkheadFull = options.retryOnBulkheadFull ?? DEFAULT_RETRY_OPTIONS.retryOnBulkheadFull;
    const budget = options.budget;
    this.budget =
      budget === undefined || isRetryBudget(budget) ? budget : new TokenBucketRetryBudget({ ...budget, clock: budget.clock ?? this.clock });
  }

  /** Calls that ended because the budget refused a retry they would otherwise have made. */
  get budgetExhaustedCount(): number {
    return this.budgetExhausted;
  }

  /** A snapshot of the cumulative counters (plain numbers, for metrics). */
  get stats(): RetryStats {
    return {
      successWithoutRetry: this.successWithoutRetry,
      successWithRetry: this.successWithRetry,
      failedWithRetry: this.failedWithRetry,
      failedWithoutRetry: this.failedWithoutRetry,
    };
  }

  /** @internal Whether a first attempt's result ends the call (`retryOnResult` does not reject it). */
  acceptsResult(value: unknown): boolean {
    return this.retryOnResult === undefined || !this.shouldRetryResult(value);
  }

  /** @internal Books a call whose first attempt succeeded, and returns its value. */
  succeeded<T>(value: T): T {
    this.successWithoutRetry++;
    return value;
  }

  /**
   * @internal The rest of a call whose attempt number `attempt` ended with `outcome` (an error when
   * `failed`, else a result `retryOnResult` rejected): retries with the backoff until an attempt is
   * accepted, retries run out or the scope ends. The engine runs the first attempt and continues
   * here only when it did not succeed (it records the call in `budget` itself); `operation` makes
   * each later attempt, a fresh one (breaker, timeout, bulkhead) per call.
   */
  async continueAfter<T>(attempt: number, outcome: unknown, failed: boolean, operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    let previousDelay = 0;
    // A result handed over here was already rejected by `retryOnResult`: it is not asked twice.
    let judged = !failed;
    for (;;) {
      // A withdrawn call never happened: nothing to retry, nothing to count.
      if (failed && outcome === WITHDRAWN_CALL) throw outcome;
      if (failed) {
        if (attempt > this.maxRetries || !this.shouldRetryError(outcome, attempt)) throw this.gaveUp(attempt, outcome);
      } else if (!judged && (this.retryOnResult === undefined || !this.shouldRetryResult(outcome))) {
        if (attempt === 1) this.successWithoutRetry++;
        else this.successWithRetry++;
        return outcome as T;
      } else if (attempt > this.maxRetries) {
        return this.resultRejected(attempt, outcome) as T;
      }

      // The outcome is to be retried.
      judged = false;
      if (scope.aborted) throw this.gaveUp(attempt, scope.reason);
      let delay = this.backoff.delay(attempt, previousDelay);
      // The server's own time (Retry-After, a gRPC pushback, an open breaker's): never retry before
      // it, and not at all when it is beyond the cap.
      const asked = this.serverDelay(outcome);
      if (asked !== undefined) {
        if (asked > this.maxDelay) {
          if (failed) throw this.gaveUp(attempt, outcome);
          return this.resultRejected(attempt, outcome) as T;
        }
        if (asked > delay) delay = asked;
      }
      previousDelay = delay;
      // The deadline would cut the next attempt before it starts: end now with what we have.
      if (this.clock.now() + delay >= scope.deadline) {
        if (failed) throw this.gaveUp(attempt, outcome);
        return this.resultRejected(attempt, outcome) as T;
      }
      // Asked last: a token is taken only for a retry that will run.
      if (this.budget !== undefined && !grantsRetry(this.budget)) return this.refusedByBudget<T>(attempt, outcome, failed);
      if (this.retryEmitter.hasListeners) {
        this.retryEmitter.emit(
          failed ? { name: this.name, attempt, delay, error: outcome } : { name: this.name, attempt, delay, result: outcome },
        );
      }
      if (delay > 0) {
        try {
          await this.wait(delay, scope);
        } catch (reason) {
          throw this.gaveUp(attempt, reason);
        }
      } else {
        await Promise.resolve();
      }
      if (scope.aborted) throw this.gaveUp(attempt, scope.reason);
      attempt++;
      failed = false;
      try {
        outcome = await invoke(operation, scope);
      } catch (error) {
        outcome = error;
        failed = true;
      }
    }
  }

  /**
   * Waits `delay` ms on the policy clock: one timer, cleared if the scope aborts first (then the
   * wait rejects with the abort reason at once). The listener is removed when the timer fires.
   */
  private wait(delay: number, scope: ExecutionScope): Promise<void> {
    const clock = this.clock;
    return new Promise<void>((resolve, reject) => {
      let unsubscribe: (() => void) | undefined;
      const handle = clock.setTimeout(() => {
        unsubscribe?.();
        resolve();
      }, delay);
      unsubscribe = scope.onAbort((reason) => {
        clock.clearTimeout(handle);
        reject(reason);
      });
    });
  }

  /**
   * Breaker and bulkhead rejections are fast-fails meant to shed load: retrying them by default
   * would hammer what they protect. Their flags, when set, retry them whatever `retryOn` says.
   * A throwing `retryOn` predicate counts as "do not retry", so the original error still surfaces.
   */
  private shouldRetryError(error: unknown, attempt: number): boolean {
    if (error instanceof CircuitOpenError) return this.retryOnCircuitOpen;
    if (error instanceof BulkheadFullError) return this.retryOnBulkheadFull;
    const classes = this.retryOnClasses;
    if (classes !== undefined) {
      for (let i = 0; i < classes.length; i++) if (error instanceof classes[i]!) return true;
      return false;
    }
    const predicate = this.retryOnPredicate;
    if (predicate === undefined) return true;
    try {
      return !!predicate(error, attempt);
    } catch {
      return false;
    }
  }

  /**
   * What the failed attempt's server asked for (see `serverRetryDelay`), in ms; a hook that throws
   * or answers anything but a non-negative number (or Infinity) says nothing.
   */
  private serverDelay(outcome: unknown): number | undefined {
    const retryAfter = this.retryAfter;
    if (retryAfter === false) return undefined;
    let asked: unknown;
    try {
      asked = retryAfter(outcome);
    } catch {
      return undefined;
    }
    return typeof asked === 'number' && asked >= 0 ? asked : undefined;
  }

  /**
   * A throwing `retryOnResult` counts as "keep this result": the call resolves with it. An
   * Observable's attempt is retried when the predicate rejects any value it emitted.
   */
  private shouldRetryResult(value: unknown): boolean {
    try {
      return anyResult(value, this.retryOnResult!);
    } catch {
      return false;
    }
  }

  /** Ends a call whose next retry the budget refused, as if retries had run out. */
  private refusedByBudget<T>(attempts: number, outcome: unknown, failed: boolean): T {
    this.budgetExhausted++;
    if (attempts > 1) this.failedWithRetry++;
    else this.failedWithoutRetry++;
    if (this.giveUpEmitter.hasListeners) {
      this.giveUpEmitter.emit(
        failed
          ? { name: this.name, attempts, error: outcome, budgetExhausted: true }
          : { name: this.name, attempts, result: outcome, budgetExhausted: true },
      );
    }
    if (failed) throw outcome;
    return outcome as T;
  }

  /** Books a failed call and returns what it rejects with, unchanged. */
  private gaveUp(attempts: number, error: unknown): unknown {
    if (attempts > 1) this.failedWithRetry++;
    else this.failedWithoutRetry++;
    if (this.giveUpEmitter.hasListeners) this.giveUpEmitter.emit({ name: this.name, attempts, error });
    return error;
  }

  /** Books a call whose every attempt returned a rejected result, and returns the last one. */
  private resultRejected(attempts: number, result: unknown): unknown {
    if (attempts > 1) this.failedWithRetry++;
    else this.failedWithoutRetry++;
    if (this.giveUpEmitter.hasListeners) this.giveUpEmitter.emit({ name: this.name, attempts, result });
    return result;
  }
}

/**
 * Whether `budget` grants a retry. Anything but `true` refuses, a throw included, so that a faulty
 * budget ends calls with their original error rather than its own (as a throwing `retryOn` does).
 */
function grantsRetry(budget: RetryBudget): boolean {
  try {
    return budget.tryRetry() === true;
  } catch {
    return false;
  }
}
