import type { CircuitBreakerState } from './circuit-breaker.options.js';

/**
 * Why a breaker changed state. `half-open-timeout`: every trial permit of a half-open round was
 * held for a whole `recoveryTimeout` without a verdict (a trial call that never settles), so the
 * round is abandoned and the breaker re-opens rather than rejecting calls forever. `remote`: applied
 * from another replica through a shared store (`applyRemote`).
 */
export type CircuitBreakerTransitionReason =
  | 'failure-threshold'
  | 'failure-rate'
  | 'slow-call-rate'
  | 'half-open-failure'
  | 'half-open-success'
  | 'half-open-timeout'
  | 'recovery-timeout'
  | 'manual'
  | 'remote';

export interface CircuitBreakerStateChange {
  readonly name: string;
  readonly from: CircuitBreakerState;
  readonly to: CircuitBreakerState;
  /** Clock time (ms) at which the change was made (or, for open -> half-open, observed). */
  readonly at: number;
  readonly reason?: CircuitBreakerTransitionReason;
}

export type CircuitBreakerCallOutcomeKind = 'success' | 'failure' | 'ignored' | 'not_permitted';

export interface CircuitBreakerCallOutcome {
  readonly name: string;
  readonly outcome: CircuitBreakerCallOutcomeKind;
  /** How long the call took on the breaker's clock; 0 for a call that was not permitted. */
  readonly durationMs: number;
  /** What the call threw (the `CircuitOpenError` for `not_permitted`); absent when it returned. */
  readonly error?: unknown;
  /** The value a call returned that `isFailureResult` counted as a failure (absent otherwise). */
  readonly result?: unknown;
}

/** A call the breaker did not let through (it rejected with `CircuitOpenError`). */
export interface CircuitBreakerRejection {
  readonly name: string;
  readonly state: CircuitBreakerState;
  readonly retryAfterMs: number;
  /** Clock time (ms) of the rejection. */
  readonly at: number;
}
