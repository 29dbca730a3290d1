import type { AdmissionSnapshot, Disposable, FallbackPolicy, RetryPolicy, TimeoutPolicy } from '@bulwark/core';
import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { InboundAdmission, type ShedCounts } from '../../load-shedding/inbound-admission.js';
import { BulkheadRegistry, type AnyBulkheadPolicy } from '../../registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from '../../registries/circuit-breaker.registry.js';
import { FallbackRegistry } from '../../registries/fallback.registry.js';
import { RetryRegistry } from '../../registries/retry.registry.js';
import { TimeoutRegistry } from '../../registries/timeout.registry.js';
import type { ResilienceModuleOptions } from '../../options/resilience-options.interface.js';
import { keyedCircuitBreakerSnapshot } from '../../health/keyed-circuit-breaker-snapshot.js';
import { RESILIENCE_OPTIONS } from '../../resilience.constants.js';
import { breakerLabels, CALL_DURATION_SOURCE, PolicyCallDurationSource, type CallDurationSource } from './call-duration.js';
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
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    private readonly admission: InboundAdmission,
  ) {
    const exposeKeys = options.exposeKeys === true;
    this.readings = new CircuitBreakerReadings(() => breakerReadings(breakerRegistry, exposeKeys));
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

  /**
   * Shared breakers, then each family of per-key breakers as one (its keys summed up), or with
   * `exposeKeys` its first keys each labelled with their `key`; one snapshot each per scrape.
   */
  circuitBreakerReadings(): readonly CircuitBreakerReading[] {
    return this.readings.take();
  }

  retries(): readonly RetryPolicy[] {
    return this.retryRegistry.list();
  }

  timeouts(): readonly TimeoutPolicy[] {
    return this.timeoutRegistry.list();
  }

  bulkheads(): readonly AnyBulkheadPolicy[] {
    return this.bulkheadRegistry.list();
  }

  loadShedding(): { readonly name: string; readonly snapshot: AdmissionSnapshot; readonly shed: Readonly<ShedCounts> } | undefined {
    const controller = this.admission.controller;
    const shed = this.admission.shedCounts();
    return controller === undefined || shed === undefined ? undefined : { name: controller.name, snapshot: controller.snapshot(), shed };
  }

  fallbacks(): readonly FallbackPolicy[] {
    return this.fallbackRegistry.list();
  }
}

/** Keys of one family that get series of their own with `exposeKeys` (the first ones, in creation order). */
export const MAX_KEY_LABELS = 100;

/**
 * Durations come from the breakers, which already time every call they admit: a family's are
 * summed (its dropped keys' included) unless `exposeKeys` labels its first keys.
 */
export const callDurationSourceProvider: Provider = {
  provide: CALL_DURATION_SOURCE,
  inject: [CircuitBreakerRegistry, RESILIENCE_OPTIONS],
  useFactory: (breakers: CircuitBreakerRegistry, options: ResilienceModuleOptions): CallDurationSource =>
    new PolicyCallDurationSource(() => breakers.list(), () => breakers.families(), options.exposeKeys === true, MAX_KEY_LABELS),
};

function breakerReadings(registry: CircuitBreakerRegistry, exposeKeys: boolean): CircuitBreakerReading[] {
  const readings: CircuitBreakerReading[] = registry.list().map((breaker) => ({ labels: { name: breaker.name }, snapshot: breaker.snapshot() }));
  for (const family of registry.families()) {
    if (!exposeKeys) {
      readings.push({ labels: { name: family.name }, snapshot: keyedCircuitBreakerSnapshot(family).snapshot });
      continue;
    }
    for (const breaker of family.list().slice(0, MAX_KEY_LABELS)) {
      readings.push({ labels: breakerLabels(breaker), snapshot: breaker.snapshot() });
    }
  }
  return readings;
}
