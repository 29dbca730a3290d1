import type { CircuitBreakerCallCounts, CircuitBreakerSnapshot, CircuitBreakerState } from '@bulwark/core';
import type { KeyedCircuitBreakerSnapshot, KeyStateCounts } from '../health/keyed-circuit-breaker-snapshot.js';
import {
  circuitBreakerHealth,
  toIso,
  type BulkheadHealth,
  type CircuitBreakerHealth,
  type LoadSheddingHealth,
  type ResilienceHealthStatus,
} from '../health/resilience-health.service.js';

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
  /** One key's card (`name` is then its family's): the key. */
  key?: string;
  /**
   * A family of per-key breakers: how many keys it holds, and in which states. The card's own
   * fields then sum the family up (the most severe state, summed counts and rates, the earliest times).
   */
  keyCount?: number;
  keyStates?: KeyStateCounts;
  /** A family, with `exposeKeys: true` only: each key's card. */
  keys?: DashboardCircuitBreaker[];
}

/** `GET <health.path>/dashboard/data`. */
export interface ResilienceDashboardData {
  /** The aggregate of `GET <health.path>`. */
  status: ResilienceHealthStatus;
  /** When this was taken, on the application's clock. */
  at: string;
  /** Every breaker, in creation order, then every family of per-key breakers. */
  circuitBreakers: DashboardCircuitBreaker[];
  /** Every bulkhead as health shows it (an adaptive one with its current `limit`), when there is one. */
  bulkheads?: Record<string, BulkheadHealth>;
  /** Load shedding's limit, in-flight, queued and shed counts, when `loadShedding` is on. */
  loadShedding?: LoadSheddingHealth;
}

export function toDashboardData(
  snapshots: readonly CircuitBreakerSnapshot[],
  status: ResilienceHealthStatus,
  now: number,
  families: readonly KeyedCircuitBreakerSnapshot[] = [],
  exposeKeys = false,
): ResilienceDashboardData {
  const circuitBreakers = snapshots.map((snapshot) => toCard(snapshot, now));
  for (const family of families) {
    const card = toCard(family.snapshot, now);
    card.keyCount = family.keys.length;
    card.keyStates = family.keyStates;
    if (exposeKeys) card.keys = family.keys.map(([key, snapshot]) => ({ ...toCard(snapshot, now), key }));
    circuitBreakers.push(card);
  }
  return { status, at: toIso(now) ?? new Date(0).toISOString(), circuitBreakers };
}

function toCard(snapshot: CircuitBreakerSnapshot, now: number): DashboardCircuitBreaker {
  const next = snapshot.nextAttemptAt;
  return {
    name: snapshot.name,
    // A shared breaker's entry: it has no key fields (a family's cards get theirs above).
    ...(circuitBreakerHealth(snapshot) as Omit<CircuitBreakerHealth, 'keys' | 'keyCount' | 'keyStates'>),
    slowCallRate: snapshot.slowCallRate,
    nextAttemptInMs: next === null || !Number.isFinite(next) ? null : Math.max(0, next - now),
    calls: { ...snapshot.calls },
  };
}
