import type { BulkheadPolicy, CircuitBreakerPolicy, Disposable, FallbackPolicy, RetryPolicy, TimeoutPolicy } from '@bulwark/core';
import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { BulkheadRegistry } from '../../registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from '../../registries/circuit-breaker.registry.js';
import { FallbackRegistry } from '../../registries/fallback.registry.js';
import { RetryRegistry } from '../../registries/retry.registry.js';
import { TimeoutRegistry } from '../../registries/timeout.registry.js';
import { CALL_DURATION_SOURCE, PolicyCallDurationSource, type CallDurationSource } from './call-duration.js';
import { CircuitBreakerReadings, type CircuitBreakerReading } from './circuit-breaker-readings.js';
import type { PolicyMetricSources } from './policy-metrics.js';

/** The application's policies as the metrics exporters read them (policies created later included). */
@Injectable()
export class ResilienceMetricSources implements PolicyMetricSources, OnModuleDestroy {
  private timing: Disposable | undefined = undefined;
  private readonly readings: CircuitBreakerReadings;

  constructor(
    private readonly breakerRegistry: CircuitBreakerRegistry,
    private readonly retryRegistry: RetryRegistry,
    private readonly timeoutRegistry: TimeoutRegistry,
    private readonly bulkheadRegistry: BulkheadRegistry,
    private readonly fallbackRegistry: FallbackRegistry,
    @Inject(CALL_DURATION_SOURCE) readonly durations: CallDurationSource,
  ) {
    this.readings = new CircuitBreakerReadings(() => allBreakers(breakerRegistry));
  }

  /**
   * Makes every breaker (and those created later) keep its call-duration histogram. Timing costs
   * two clock reads per call, so breakers only time calls once an exporter needs it.
   */
  timeCalls(): void {
    if (this.timing !== undefined) return;
    this.timing = this.breakerRegistry.observeBreakers((breaker) => breaker.enableDurationHistogram());
  }

  onModuleDestroy(): void {
    this.timing?.dispose();
  }

  /** Shared breakers, then per-key ones (labelled with their `key`), one snapshot each per scrape. */
  circuitBreakerReadings(): readonly CircuitBreakerReading[] {
    return this.readings.take();
  }

  retries(): readonly RetryPolicy[] {
    return this.retryRegistry.list();
  }

  timeouts(): readonly TimeoutPolicy[] {
    return this.timeoutRegistry.list();
  }

  bulkheads(): readonly BulkheadPolicy[] {
    return this.bulkheadRegistry.list();
  }

  fallbacks(): readonly FallbackPolicy[] {
    return this.fallbackRegistry.list();
  }
}

/** Durations come from the breakers, which already time every call they admit. */
export const callDurationSourceProvider: Provider = {
  provide: CALL_DURATION_SOURCE,
  inject: [CircuitBreakerRegistry],
  useFactory: (breakers: CircuitBreakerRegistry): CallDurationSource => new PolicyCallDurationSource(() => allBreakers(breakers)),
};

function allBreakers(registry: CircuitBreakerRegistry): CircuitBreakerPolicy[] {
  const keyed = registry.keyedBreakers();
  return keyed.length === 0 ? registry.list() : [...registry.list(), ...keyed];
}
