import type { CircuitBreakerSnapshot } from '@bulwark/core';
import { Injectable } from '@nestjs/common';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';

export type ResilienceHealthStatus = 'up' | 'degraded' | 'down';

/** One breaker as `/health/resilience` shows it. Times are ISO-8601 or null. */
export interface CircuitBreakerHealth {
  state: CircuitBreakerSnapshot['state'];
  critical: boolean;
  failureCount: number;
  failureRate: number;
  openedAt: string | null;
  nextAttemptAt: string | null;
}

export interface ResilienceHealthReport {
  status: ResilienceHealthStatus;
  circuitBreakers: Record<string, CircuitBreakerHealth>;
}

/**
 * Builds the health report from the breakers' snapshots: `up` when every breaker is closed or
 * disabled, `degraded` when any is not, `down` when a critical breaker is open or forced open.
 * Only states, counts and times: never error messages, stacks or option values.
 */
@Injectable()
export class ResilienceHealthService {
  constructor(private readonly circuitBreakers: CircuitBreakerRegistry) {}

  report(): ResilienceHealthReport {
    const circuitBreakers: Record<string, CircuitBreakerHealth> = {};
    let status: ResilienceHealthStatus = 'up';
    for (const snapshot of this.circuitBreakers.snapshots()) {
      circuitBreakers[snapshot.name] = circuitBreakerHealth(snapshot);
      if (isDown(snapshot)) status = 'down';
      else if (status === 'up' && snapshot.state !== 'closed' && snapshot.state !== 'disabled') status = 'degraded';
    }
    return { status, circuitBreakers };
  }

  /** One breaker's entry, or undefined for an unknown name. */
  breaker(name: string): CircuitBreakerHealth | undefined {
    const breaker = this.circuitBreakers.get(name);
    return breaker === undefined ? undefined : circuitBreakerHealth(breaker.snapshot());
  }
}

function isDown(snapshot: CircuitBreakerSnapshot): boolean {
  return snapshot.critical && (snapshot.state === 'open' || snapshot.state === 'forced-open');
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

export function toIso(time: number | null): string | null {
  return time === null || !Number.isFinite(time) ? null : new Date(time).toISOString();
}
