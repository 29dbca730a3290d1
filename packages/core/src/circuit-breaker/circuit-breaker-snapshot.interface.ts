import type { CircuitBreakerState } from './circuit-breaker.options.js';

/** Calls since the breaker was created, whatever its state: what metrics exporters read. */
export interface CircuitBreakerCallCounts {
  readonly success: number;
  readonly failure: number;
  readonly ignored: number;
  readonly notPermitted: number;
  /** Slow calls (also counted as a success or a failure). */
  readonly slow: number;
}

/** A breaker's state and recent calls, as health endpoints and dashboards show them. */
export interface CircuitBreakerSnapshot {
  readonly name: string;
  readonly state: CircuitBreakerState;
  readonly critical: boolean;
  /** Consecutive failures (consecutive mode) or failures in the window (rate mode). */
  readonly failureCount: number;
  /** Successes in the window (consecutive mode: of the last 100 calls). */
  readonly successCount: number;
  readonly slowCallCount: number;
  /** Calls in the window (consecutive mode: at most the last 100). */
  readonly totalCalls: number;
  /** Percent of failures in the window, one decimal; 0 when the window is empty. */
  readonly failureRate: number;
  /** Percent of slow calls in the window, one decimal; 0 when the window is empty. */
  readonly slowCallRate: number;
  /**
   * Wall-clock time (epoch ms, see `Clock.toWallTime`) at which the breaker last opened; `null`
   * unless open, half-open or forced open.
   */
  readonly openedAt: number | null;
  /** Wall-clock time (epoch ms) at which an open breaker will admit a trial call; `null` unless `open`. */
  readonly nextAttemptAt: number | null;
  readonly calls: CircuitBreakerCallCounts;
}
