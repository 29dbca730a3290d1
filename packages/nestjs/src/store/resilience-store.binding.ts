import type { CircuitBreakerPolicy, Disposable, ResilienceStore } from '@bulwark/core';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/**
 * Hands every circuit breaker of the application (configured, decorated, programmatic, per-key)
 * to the `store` option, from the moment it is created, and closes the store with the app.
 * Without a store it does nothing: breakers are local to the process.
 */
@Injectable()
export class ResilienceStoreBinding implements OnApplicationShutdown {
  readonly store: ResilienceStore | undefined;
  private readonly subscriptions: Disposable[] = [];

  constructor(@Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions, registry: CircuitBreakerRegistry) {
    const store = options.store;
    this.store = store;
    if (store === undefined) return;
    // Shared and per-key breakers, those that exist now and those created later; evicted keys leave.
    this.subscriptions.push(
      registry.observeBreakers(
        (breaker: CircuitBreakerPolicy) => store.attachCircuitBreaker(breaker),
        (breaker: CircuitBreakerPolicy) => store.detachCircuitBreaker(breaker),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    await this.store?.close();
  }
}
