import { mostSevereState, type CircuitBreakerSnapshot, type CircuitBreakerState, type KeyedCircuitBreakers } from '@bulwark/core';

/** How many keys of a family are in each state. */
export type KeyStateCounts = Record<CircuitBreakerState, number>;

/** A family of per-key breakers summed up as one snapshot, with each key's own. */
export interface KeyedCircuitBreakerSnapshot {
  /** The family as a whole (see `keyedCircuitBreakerSnapshot`). */
  readonly snapshot: CircuitBreakerSnapshot;
  /** Each key's snapshot, in key creation order. */
  readonly keys: readonly (readonly [key: string, snapshot: CircuitBreakerSnapshot])[];
  /** How many keys are in each state: what a family shows without its keys. */
  readonly keyStates: KeyStateCounts;
}

/**
 * The family as one breaker: the most severe state among its keys (forced-open > open > half-open
 * > closed; disabled only when every key is), the family's `critical`, counts summed, rates of the
 * summed window counts, and the earliest `openedAt` / `nextAttemptAt` among its keys. Call counts
 * include those of keys already dropped (`retiredCalls`), so they never go down. A read.
 */
export function keyedCircuitBreakerSnapshot(family: KeyedCircuitBreakers): KeyedCircuitBreakerSnapshot {
  const keys: [string, CircuitBreakerSnapshot][] = [];
  let failureCount = 0;
  let successCount = 0;
  let slowCallCount = 0;
  let totalCalls = 0;
  let openedAt: number | null = null;
  let nextAttemptAt: number | null = null;
  const calls = { ...family.retiredCalls };
  const keyStates: KeyStateCounts = { closed: 0, open: 0, 'half-open': 0, 'forced-open': 0, disabled: 0 };
  for (const breaker of family.list()) {
    const snapshot = breaker.snapshot();
    keys.push([breaker.key!, snapshot]);
    keyStates[snapshot.state]++;
    failureCount += snapshot.failureCount;
    successCount += snapshot.successCount;
    slowCallCount += snapshot.slowCallCount;
    totalCalls += snapshot.totalCalls;
    openedAt = earliest(openedAt, snapshot.openedAt);
    nextAttemptAt = earliest(nextAttemptAt, snapshot.nextAttemptAt);
    calls.success += snapshot.calls.success;
    calls.failure += snapshot.calls.failure;
    calls.ignored += snapshot.calls.ignored;
    calls.notPermitted += snapshot.calls.notPermitted;
    calls.slow += snapshot.calls.slow;
  }
  const snapshot: CircuitBreakerSnapshot = {
    name: family.name,
    state: mostSevereState(
      keys.map(([, key]) => key.state),
      family.manualState ?? 'closed',
    ),
    critical: family.critical,
    failureCount,
    successCount,
    slowCallCount,
    totalCalls,
    failureRate: percent(totalCalls - successCount, totalCalls),
    slowCallRate: percent(slowCallCount, totalCalls),
    openedAt,
    nextAttemptAt,
    calls,
  };
  return { snapshot, keys, keyStates };
}

function earliest(current: number | null, candidate: number | null): number | null {
  if (candidate === null) return current;
  return current === null || candidate < current ? candidate : current;
}

/** Percent with one decimal, as breaker snapshots give it. */
function percent(count: number, total: number): number {
  return total === 0 ? 0 : Math.round((count * 1000) / total) / 10;
}
