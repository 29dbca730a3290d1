import {
  AdaptiveBulkheadPolicy,
  type AdmissionSnapshot,
  type CircuitBreakerSnapshot,
  type CircuitBreakerState,
  type KeyedCircuitBreakers,
  type LimitAlgorithmName,
  type ResilienceStoreStatus,
} from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import { InboundAdmission } from '../load-shedding/inbound-admission.js';
import { BulkheadRegistry, type AnyBulkheadPolicy } from '../registries/bulkhead.registry.js';
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

/** A static bulkhead as `/health/resilience` shows it. */
export interface StaticBulkheadHealth {
  maxConcurrent: number;
  maxQueue: number;
  /** Calls holding a slot now. */
  running: number;
  /** Calls waiting for a slot now. */
  queued: number;
  /** Calls rejected with `BulkheadFullError` since start-up. */
  rejected: number;
}

/** An adaptive bulkhead as `/health/resilience` shows it: its learnt `limit` where a static one has `maxConcurrent`. */
export interface AdaptiveBulkheadHealth {
  adaptive: true;
  /** The limit algorithm (`'custom'` for a `LimitAlgorithm` object of the application's). */
  algorithm: LimitAlgorithmName | 'custom';
  /** Calls that may run at once now. */
  limit: number;
  minLimit: number;
  maxLimit: number;
  maxQueue: number;
  running: number;
  queued: number;
  rejected: number;
}

export type BulkheadHealth = StaticBulkheadHealth | AdaptiveBulkheadHealth;

/** Inbound load shedding (`loadShedding` option) as `/health/resilience` shows it. */
export type LoadSheddingHealth = AdmissionSnapshot;

export interface ResilienceHealthReport {
  status: ResilienceHealthStatus;
  circuitBreakers: Record<string, CircuitBreakerHealth>;
  /**
   * Every bulkhead, when there is one. Not part of `status`: a full bulkhead is doing its job.
   */
  bulkheads?: Record<string, BulkheadHealth>;
  /** The admission controller's state, when `loadShedding` is on. Not part of `status` either. */
  loadShedding?: LoadSheddingHealth;
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
    private readonly bulkheadRegistry: BulkheadRegistry,
    private readonly admission: InboundAdmission,
  ) {
    this.exposeKeys = options.exposeKeys === true;
  }

  report(): ResilienceHealthReport {
    const circuitBreakers: Record<string, CircuitBreakerHealth> = {};
    for (const snapshot of this.circuitBreakers.snapshots()) circuitBreakers[snapshot.name] = circuitBreakerHealth(snapshot);
    for (const family of this.circuitBreakers.families()) circuitBreakers[family.name] = keyedCircuitBreakerHealth(family, this.exposeKeys);
    const report: ResilienceHealthReport = { status: healthStatus(Object.values(circuitBreakers)), circuitBreakers };
    const store = this.storeBinding.store;
    if (typeof store?.status === 'function') {
      const { connected, subscribed } = store.status();
      report.store = { connected: connected === true, subscribed: subscribed === true };
    }
    const bulkheads = this.bulkheads();
    if (bulkheads !== undefined) report.bulkheads = bulkheads;
    const controller = this.admission.controller;
    if (controller !== undefined) report.loadShedding = controller.snapshot();
    return report;
  }

  /** Every bulkhead's entry, in creation order; `undefined` when there is none. */
  bulkheads(): Record<string, BulkheadHealth> | undefined {
    const list = this.bulkheadRegistry.list();
    if (list.length === 0) return undefined;
    const entries: Record<string, BulkheadHealth> = {};
    for (const bulkhead of list) entries[bulkhead.name] = this.bulkheadHealth(bulkhead);
    return entries;
  }

  private bulkheadHealth(bulkhead: AnyBulkheadPolicy): BulkheadHealth {
    if (!(bulkhead instanceof AdaptiveBulkheadPolicy)) {
      return { maxConcurrent: bulkhead.maxConcurrent, maxQueue: bulkhead.maxQueue, running: bulkhead.running, queued: bulkhead.queued, rejected: bulkhead.rejectedCount };
    }
    const { limit, inFlight, queued, rejected } = bulkhead.snapshot();
    const bounds = this.bulkheadRegistry.adaptiveLimit(bulkhead);
    return {
      adaptive: true,
      algorithm: bounds?.algorithm ?? 'custom',
      limit,
      minLimit: bounds?.minLimit ?? limit,
      maxLimit: bounds?.maxLimit ?? limit,
      maxQueue: bulkhead.maxQueue,
      running: inFlight,
      queued,
      rejected,
    };
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
