import type { BulkheadPolicy, CircuitBreakerPolicy, FallbackPolicy, RetryPolicy, TimeoutPolicy } from '@bulwark/core';
import { Inject, Injectable, type Provider } from '@nestjs/common';
import { BulkheadRegistry } from '../../registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from '../../registries/circuit-breaker.registry.js';
import { FallbackRegistry } from '../../registries/fallback.registry.js';
import { RetryRegistry } from '../../registries/retry.registry.js';
import { TimeoutRegistry } from '../../registries/timeout.registry.js';
import { CALL_DURATION_SOURCE, PolicyCallDurationSource, type CallDurationSource } from './call-duration.js';
import type { PolicyMetricSources } from './policy-metrics.js';

/** The application's policies as the metrics exporters read them (policies created later included). */
@Injectable()
export class ResilienceMetricSources implements PolicyMetricSources {
  constructor(
    private readonly breakerRegistry: CircuitBreakerRegistry,
    private readonly retryRegistry: RetryRegistry,
    private readonly timeoutRegistry: TimeoutRegistry,
    private readonly bulkheadRegistry: BulkheadRegistry,
    private readonly fallbackRegistry: FallbackRegistry,
    @Inject(CALL_DURATION_SOURCE) readonly durations: CallDurationSource,
  ) {}

  circuitBreakers(): readonly CircuitBreakerPolicy[] {
    return this.breakerRegistry.list();
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
  useFactory: (breakers: CircuitBreakerRegistry): CallDurationSource => new PolicyCallDurationSource(() => breakers.list()),
};
