// Public API of @bulwark/core. Everything not exported here is internal.
export type { Clock, TimerHandle } from './clock/clock.js';
export { systemClock, wallTime } from './clock/clock.js';
export { FakeClock, flushMicrotasks } from './clock/fake-clock.js';

export { ResilienceError } from './errors/resilience.error.js';
export { CircuitOpenError } from './errors/circuit-open.error.js';
export { TimeoutError } from './errors/timeout.error.js';
export { BulkheadFullError } from './errors/bulkhead-full.error.js';
export type { LoadShedReason } from './errors/load-shed.error.js';
export { LoadShedError } from './errors/load-shed.error.js';
export { InvalidOptionsError } from './errors/invalid-options.error.js';
export {
  MAX_ADAPTIVE_LIMIT,
  MAX_BULKHEAD_QUEUE,
  MAX_COUNT_WINDOW_SIZE,
  MAX_KEY_LENGTH,
  MAX_KEYS,
  MAX_RETRIES,
  MAX_STALE_ENTRIES,
  MAX_TIMER_DELAY_MS,
} from './validation/option-limits.js';

export type { ExecutionContext } from './context/execution-scope.js';
export { ExecutionScope } from './context/execution-scope.js';
export { currentSignal, currentScope, runInScope } from './context/current-signal.js';

export type { Disposable, Event } from './events/event-emitter.js';
export { EventEmitter } from './events/event-emitter.js';

export type { ErrorClass, Operation, PolicyKind, ResiliencePolicy } from './policy/policy.interface.js';
export { POLICY_ORDER } from './policy/policy.interface.js';
export { BasePolicy } from './policy/base.policy.js';
export { EmittedValues } from './policy/emitted-values.js';
export { WITHDRAWN_CALL, withdrawCall } from './policy/withdrawn-call.js';

export type { TimeoutEvent, TimeoutPolicyOptions } from './timeout/timeout.policy.js';
export { TimeoutPolicy } from './timeout/timeout.policy.js';
export type { TimeoutOptions } from './timeout/timeout.options.js';
export { DEFAULT_TIMEOUT_PROFILES, validateTimeoutOptions } from './timeout/timeout.options.js';

export type { CircuitBreakerPolicyOptions } from './circuit-breaker/circuit-breaker.policy.js';
export { CircuitBreakerPolicy } from './circuit-breaker/circuit-breaker.policy.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerState,
  RecoveryBackoffOptions,
  ResolvedCircuitBreakerOptions,
  SlidingWindowOptions,
} from './circuit-breaker/circuit-breaker.options.js';
export {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  DEFAULT_RECOVERY_BACKOFF_MULTIPLIER,
  validateCircuitBreakerOptions,
} from './circuit-breaker/circuit-breaker.options.js';
export type { CircuitBreakerCallCounts, CircuitBreakerSnapshot } from './circuit-breaker/circuit-breaker-snapshot.interface.js';
export type { KeyedCircuitBreakerRemoval, KeyedCircuitBreakerRemovalReason, KeyedCircuitBreakersOptions } from './circuit-breaker/keyed-circuit-breakers.js';
export { KeyedCircuitBreakers, mostSevereState } from './circuit-breaker/keyed-circuit-breakers.js';
export type { CircuitBreakerSync } from './circuit-breaker/circuit-breaker-sync.interface.js';
export type { ResilienceStore, ResilienceStoreStatus } from './store/resilience-store.interface.js';
export type { RetryBudget } from './retry/retry-budget.interface.js';
export type { RetryBudgetOptions } from './retry/retry-budget.options.js';
export { validateRetryBudgetOptions } from './retry/retry-budget.options.js';
export type { RetryBudgetDelta } from './retry/token-bucket.retry-budget.js';
export { TokenBucketRetryBudget } from './retry/token-bucket.retry-budget.js';
export type { CallDurationHistogram } from './circuit-breaker/call-duration.histogram.js';
export { DEFAULT_DURATION_BUCKETS_MS } from './circuit-breaker/call-duration.histogram.js';
export type {
  CircuitBreakerCallOutcome,
  CircuitBreakerCallOutcomeKind,
  CircuitBreakerRejection,
  CircuitBreakerStateChange,
  CircuitBreakerTransitionReason,
} from './circuit-breaker/circuit-breaker.events.js';

export type { BackoffStrategy, JitterBounds, JitterKind, JitterStrategy } from './backoff/backoff.interface.js';
export { JITTER_KINDS } from './backoff/backoff.interface.js';
export type { ExponentialBackoffOptions } from './backoff/exponential.backoff.js';
export { DEFAULT_BACKOFF_OPTIONS, MAX_BACKOFF_DELAY, exponentialBackoff } from './backoff/exponential.backoff.js';
export { JITTER_STRATEGIES, decorrelatedJitter, equalJitter, fullJitter, noJitter } from './backoff/jitter.strategy.js';
export type { RetryOptions } from './retry/retry.options.js';
export { DEFAULT_RETRY_OPTIONS, RETRY_OPTION_KEYS, validateRetryOptions } from './retry/retry.options.js';
export type { GiveUpEvent, RetryEvent, RetryPolicyOptions, RetryStats } from './retry/retry.policy.js';
export { RetryPolicy } from './retry/retry.policy.js';
export { parseRetryAfter, serverRetryDelay } from './retry/server-retry-delay.js';

export type { BulkheadOptions, BulkheadPolicyOptions } from './bulkhead/bulkhead.options.js';
export { DEFAULT_BULKHEAD_OPTIONS, validateBulkheadOptions } from './bulkhead/bulkhead.options.js';
export type { BulkheadRejectedEvent } from './bulkhead/bulkhead.policy.js';
export { BulkheadPolicy } from './bulkhead/bulkhead.policy.js';
export type { AdaptiveBulkheadOptions, AdaptiveBulkheadPolicyOptions } from './bulkhead/adaptive-bulkhead.options.js';
export { DEFAULT_ADAPTIVE_BULKHEAD_MAX_QUEUE, validateAdaptiveBulkheadOptions } from './bulkhead/adaptive-bulkhead.options.js';
export type { AdaptiveBulkheadSnapshot, LimitChangedEvent } from './bulkhead/adaptive-bulkhead.policy.js';
export { AdaptiveBulkheadPolicy } from './bulkhead/adaptive-bulkhead.policy.js';

export type { LimitAlgorithm } from './limit/limit-algorithm.interface.js';
export type { LimitBoundsOptions } from './limit/limit-bounds.options.js';
export type { AdaptiveLimitOptions, LimitAlgorithmName } from './limit/adaptive-limit.options.js';
export { LIMIT_ALGORITHMS, createLimitAlgorithm, validateAdaptiveLimitOptions } from './limit/adaptive-limit.options.js';
export type { Gradient2LimitOptions } from './limit/gradient2.options.js';
export { DEFAULT_GRADIENT2_OPTIONS } from './limit/gradient2.options.js';
export { Gradient2Limit } from './limit/gradient2.limit.js';
export type { VegasLimitOptions } from './limit/vegas.options.js';
export { DEFAULT_VEGAS_OPTIONS } from './limit/vegas.options.js';
export { VegasLimit } from './limit/vegas.limit.js';
export type { AimdLimitOptions } from './limit/aimd.options.js';
export { DEFAULT_AIMD_OPTIONS } from './limit/aimd.options.js';
export { AimdLimit } from './limit/aimd.limit.js';

export type { AdmissionControllerOptions, AdmissionControllerPolicyOptions, AdmissionPriority } from './admission/admission.options.js';
export {
  ADMISSION_PRIORITIES,
  DEFAULT_ADMISSION_LIMIT_BOUNDS,
  DEFAULT_ADMISSION_OPTIONS,
  validateAdmissionOptions,
} from './admission/admission.options.js';
export type { AdmissionOutcome, AdmissionRelease, AdmissionSnapshot, LoadShedEvent } from './admission/admission-controller.js';
export { AdmissionController } from './admission/admission-controller.js';

export type { FallbackOptions, FallbackPolicyOptions, StaleIfErrorOptions, StaleInfo } from './fallback/fallback.options.js';
export { DEFAULT_STALE_MAX_ENTRIES, validateFallbackOptions } from './fallback/fallback.options.js';
export type { FallbackCounts, FallbackEvent, FallbackSource } from './fallback/fallback.policy.js';
export { FallbackPolicy } from './fallback/fallback.policy.js';
export type { FallbackReason } from './fallback/fallback-reason.js';
export { fallbackReason } from './fallback/fallback-reason.js';

export { ComposedPolicy, composePolicies } from './composition/compose-policies.js';

// RxJS operators: `@bulwark/core/rxjs` (rxjs is an optional peer; this entry point never loads it).
