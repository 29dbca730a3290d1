import type { CircuitBreakerSnapshot, CircuitBreakerState, KeyedCircuitBreakers, ResilienceStoreStatus } from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import { ResilienceStoreBinding } from '../store/resilience-store.binding.js';
import { keyedCircuitBreakerSnapshot, type KeyStateCounts } from './keyed-circuit-breaker-snapshot.js';

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
   * A family of per-key breakers (`@CircuitBreaker({ key })`) only: how many keys it holds. The
   * fields above then sum the family up: the most severe state among the keys, counts summed, the
   * rate of the summed counts, the earliest times.
   */
  keyCount?: number;
  /** A family only: how many of its keys are in each state. */
  keyStates?: KeyStateCounts;
  /** A family only, and only with `exposeKeys: true`: each key's entry (keys are often user data). */
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
 * Only states, counts and times: never error messages, stacks or option values. Reading is all it
 * does: a breaker due a trial stays `open` (with `nextAttemptAt` in the past) until a call comes.
 */
@Injectable()
export class ResilienceHealthService {
  private readonly exposeKeys: boolean;

  constructor(
    private readonly circuitBreakers: CircuitBreakerRegistry,
    private readonly storeBinding: ResilienceStoreBinding,
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
  ) {
    this.exposeKeys = options.exposeKeys === true;
  }

  report(): ResilienceHealthReport {
    const circuitBreakers: Record<string, CircuitBreakerHealth> = {};
    for (const snapshot of this.circuitBreakers.snapshots()) circuitBreakers[snapshot.name] = circuitBreakerHealth(snapshot);
    for (const family of this.circuitBreakers.families()) circuitBreakers[family.name] = keyedCircuitBreakerHealth(family, this.exposeKeys);
    const status = healthStatus(Object.values(circuitBreakers));
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
    return family === undefined ? undefined : keyedCircuitBreakerHealth(family, this.exposeKeys);
  }
}

/**
 * The aggregate status of breakers (a family counting as its most severe key): `down` when a
 * critical one is open or forced open, else `degraded` when one is neither closed nor disabled.
 */
export function healthStatus(entries: Iterable<{ readonly state: CircuitBreakerState; readonly critical: boolean }>): ResilienceHealthStatus {
  let status: ResilienceHealthStatus = 'up';
  for (const { state, critical } of entries) {
    if (critical && (state === 'open' || state === 'forced-open')) return 'down';
    if (state !== 'closed' && state !== 'disabled') status = 'degraded';
  }
  return status;
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

/** A family's entry: the family summed up, its key counts, and with `exposeKeys` each key's entry. */
export function keyedCircuitBreakerHealth(family: KeyedCircuitBreakers, exposeKeys: boolean): CircuitBreakerHealth {
  const { snapshot, keys, keyStates } = keyedCircuitBreakerSnapshot(family);
  const entry: CircuitBreakerHealth = { ...circuitBreakerHealth(snapshot), keyCount: keys.length, keyStates };
  if (!exposeKeys) return entry;
  // Keys are user data ("__proto__" included): a prototype-free record keeps each one a plain field.
  const entries = Object.create(null) as Record<string, CircuitBreakerHealth>;
  for (const [key, keySnapshot] of keys) entries[key] = circuitBreakerHealth(keySnapshot);
  entry.keys = entries;
  return entry;
}

export function toIso(time: number | null): string | null {
  return time === null || !Number.isFinite(time) ? null : new Date(time).toISOString();
}
