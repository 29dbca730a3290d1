import type { CircuitBreakerCallCounts, CircuitBreakerSnapshot, CircuitBreakerState } from '@bulwark/core';
import { circuitBreakerHealth, toIso, type ResilienceHealthStatus } from '../health/resilience-health.service.js';

/** One breaker as the dashboard shows it: the health entry plus rates, call counts and a countdown. */
export interface DashboardCircuitBreaker {
  name: string;
  state: CircuitBreakerState;
  critical: boolean;
  failureCount: number;
  /** Percent of failures among the recent calls. */
  failureRate: number;
  /** Percent of slow calls among the recent calls. */
  slowCallRate: number;
  openedAt: string | null;
  nextAttemptAt: string | null;
  /**
   * Milliseconds until an open breaker lets a trial call through, on the application's clock
   * (the page counts down from when it received it, so clock skew does not matter); null unless open.
   */
  nextAttemptInMs: number | null;
  /** Calls since the breaker was created. */
  calls: CircuitBreakerCallCounts;
}

/** `GET <health.path>/dashboard/data`. */
export interface ResilienceDashboardData {
  /** The aggregate of `GET <health.path>`. */
  status: ResilienceHealthStatus;
  /** When this was taken, on the application's clock. */
  at: string;
  /** Every breaker, in creation order. */
  circuitBreakers: DashboardCircuitBreaker[];
}

export function toDashboardData(snapshots: readonly CircuitBreakerSnapshot[], status: ResilienceHealthStatus, now: number): ResilienceDashboardData {
  return { status, at: toIso(now) ?? new Date(0).toISOString(), circuitBreakers: snapshots.map((snapshot) => toCard(snapshot, now)) };
}

function toCard(snapshot: CircuitBreakerSnapshot, now: number): DashboardCircuitBreaker {
  const next = snapshot.nextAttemptAt;
  return {
    name: snapshot.name,
    ...circuitBreakerHealth(snapshot),
    slowCallRate: snapshot.slowCallRate,
    nextAttemptInMs: next === null || !Number.isFinite(next) ? null : Math.max(0, next - now),
    calls: { ...snapshot.calls },
  };
}
