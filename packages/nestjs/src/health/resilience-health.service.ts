import type { CircuitBreakerSnapshot, KeyedCircuitBreakers, ResilienceStoreStatus } from '@bulwark/core';
import { Injectable } from '@nestjs/common';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import { ResilienceStoreBinding } from '../store/resilience-store.binding.js';
import { keyedCircuitBreakerSnapshot } from './keyed-circuit-breaker-snapshot.js';

export type ResilienceHealthStatus = 'up' | 'degraded' | 'down';

/** One breaker as `/health/resilience` shows it. Times are ISO-8601 or null. */
export interface CircuitBreakerHealth {
  state: CircuitBreakerSnapshot['state'];
  critical: boolean;
  failureCount: number;
  failureRate: number;
  openedAt: string | null;
  nextAttemptAt: string | null;
  /**
   * A family of per-key breakers (`@CircuitBreaker({ key })`) only: each key's entry. The fields
   * above then sum the family up: the most severe state among the keys, counts summed, the rate
   * of the summed counts, the earliest times.
   */
  keys?: Record<string, CircuitBreakerHealth>;
}

export interface ResilienceHealthReport {
  status: ResilienceHealthStatus;
  circuitBreakers: Record<string, CircuitBreakerHealth>;
  /**
   * With a shared store (`store` option) that reports it: whether sharing works right now. Not
   * part of `status`: a store that cannot reach its backend leaves every breaker deciding locally,
   * which is no reason to restart the pod.
   */
  store?: ResilienceStoreStatus;
}

/**
 * Builds the health report from the breakers' snapshots: `up` when every breaker is closed or
 * disabled, `degraded` when any is not, `down` when a critical breaker is open or forced open;
 * with a store, what it says about sharing (`store`), which never changes `status`.
 * A family of per-key breakers counts as each of its keys (its entry carries the most severe).
 * Only states, counts and times: never error messages, stacks or option values.
 */
@Injectable()
export class ResilienceHealthService {
  constructor(
    private readonly circuitBreakers: CircuitBreakerRegistry,
    private readonly storeBinding: ResilienceStoreBinding,
  ) {}

  report(): ResilienceHealthReport {
    const circuitBreakers: Record<string, CircuitBreakerHealth> = {};
    let status: ResilienceHealthStatus = 'up';
    const include = (name: string, entry: CircuitBreakerHealth): void => {
      circuitBreakers[name] = entry;
      if (isDown(entry)) status = 'down';
      else if (status === 'up' && entry.state !== 'closed' && entry.state !== 'disabled') status = 'degraded';
    };
    for (const snapshot of this.circuitBreakers.snapshots()) include(snapshot.name, circuitBreakerHealth(snapshot));
    for (const family of this.circuitBreakers.families()) include(family.name, keyedCircuitBreakerHealth(family));
    const store = this.storeBinding.store;
    if (typeof store?.status !== 'function') return { status, circuitBreakers };
    const { connected, subscribed } = store.status();
    return { status, circuitBreakers, store: { connected: connected === true, subscribed: subscribed === true } };
  }

  /** One breaker's entry (a family's, with its keys), or undefined for an unknown name. */
  breaker(name: string): CircuitBreakerHealth | undefined {
    const breaker = this.circuitBreakers.get(name);
    if (breaker !== undefined) return circuitBreakerHealth(breaker.snapshot());
    const family = this.circuitBreakers.family(name);
    return family === undefined ? undefined : keyedCircuitBreakerHealth(family);
  }
}

/** Down: critical, and open or forced open (for a family: some key is, its state being the most severe). */
function isDown(entry: CircuitBreakerHealth): boolean {
  return entry.critical && (entry.state === 'open' || entry.state === 'forced-open');
}

/** A breaker's `/health/resilience` entry (also the core of its dashboard card). */
export function circuitBreakerHealth(snapshot: CircuitBreakerSnapshot): CircuitBreakerHealth {
  return {
    state: snapshot.state,
    critical: snapshot.critical,
    failureCount: snapshot.failureCount,
    failureRate: snapshot.failureRate,
    openedAt: toIso(snapshot.openedAt),
    nextAttemptAt: toIso(snapshot.nextAttemptAt),
  };
}

/** A family's entry: the family summed up, and `keys` with each key's entry. */
export function keyedCircuitBreakerHealth(family: KeyedCircuitBreakers): CircuitBreakerHealth {
  const { snapshot, keys } = keyedCircuitBreakerSnapshot(family);
  // Keys are user data ("__proto__" included): a prototype-free record keeps each one a plain field.
  const entries = Object.create(null) as Record<string, CircuitBreakerHealth>;
  for (const [key, keySnapshot] of keys) entries[key] = circuitBreakerHealth(keySnapshot);
  return { ...circuitBreakerHealth(snapshot), keys: entries };
}

export function toIso(time: number | null): string | null {
  return time === null || !Number.isFinite(time) ? null : new Date(time).toISOString();
}
