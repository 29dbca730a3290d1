import type { MonoTypeOperatorFunction } from 'rxjs';
import type { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import type { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import type { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { RetryPolicy } from '../retry/retry.policy.js';
import type { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { withPolicy, type PolicyOperatorOptions } from './policy.operator.js';

// Named forms of `withPolicy`, one per policy, for readable pipes:
// `source$.pipe(withRetry(retry), withCircuitBreaker(breaker), withTimeout(timeout))`.
// Each pipe stage applies its policy per subscription to everything upstream of it.

/** One breaker call per subscription: completion is a success, an error a failure. */
export const withCircuitBreaker = <T>(breaker: CircuitBreakerPolicy): MonoTypeOperatorFunction<T> => withPolicy<T>(breaker);

/** Re-subscribes with the policy's backoff after an error. */
export const withRetry = <T>(retry: RetryPolicy): MonoTypeOperatorFunction<T> => withPolicy<T>(retry);

/** Unsubscribes and errors with `TimeoutError` when the subscription outlives the duration. */
export const withTimeout = <T>(timeout: TimeoutPolicy): MonoTypeOperatorFunction<T> => withPolicy<T>(timeout);

/** Replaces an error with the fallback's value (or Observable, or Promise). */
export const withFallback = <T>(fallback: FallbackPolicy, options?: PolicyOperatorOptions): MonoTypeOperatorFunction<T> =>
  withPolicy<T>(fallback, options);

/** Holds a bulkhead slot for the life of each subscription. */
export const withBulkhead = <T>(bulkhead: BulkheadPolicy): MonoTypeOperatorFunction<T> => withPolicy<T>(bulkhead);
