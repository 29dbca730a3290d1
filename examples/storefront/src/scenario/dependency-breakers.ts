import type { CircuitBreakerState, CircuitBreakerStateChange, Disposable, KeyedCircuitBreakers } from '@bulwark/core';
import type { CircuitBreakerRegistry } from '@bulwark/nestjs';
import type { DependencyName } from '../app/storefront.options.js';

/**
 * A dependency's breakers as the scenario reads them: the family its HTTP client registered (one
 * breaker per origin, created by the origin's first call), seen as one breaker.
 */
export class DependencyBreaker {
  private constructor(
    readonly name: DependencyName,
    private readonly registry: CircuitBreakerRegistry,
    private readonly family: KeyedCircuitBreakers,
  ) {}

  static of(registry: CircuitBreakerRegistry, name: DependencyName): DependencyBreaker {
    const family = registry.family(name);
    if (family === undefined) throw new Error(`The storefront has no "${name}" circuit breakers`);
    return new DependencyBreaker(name, registry, family);
  }

  /** The most severe state of its origins' breakers (closed before the first call). */
  get state(): CircuitBreakerState {
    return this.family.state;
  }

  /** Calls its open breakers rejected without touching the dependency, so far. */
  get callsRefused(): number {
    let refused = this.family.retiredCalls.notPermitted;
    for (const breaker of this.family.list()) refused += breaker.snapshot().calls.notPermitted;
    return refused;
  }

  /** Calls `listener` with every transition of its breakers, those created later included. */
  onStateChange(listener: (change: CircuitBreakerStateChange) => void): Disposable {
    const subscriptions: Disposable[] = [];
    const observation = this.registry.observeBreakers((breaker) => {
      if (breaker.name === this.name && breaker.key !== undefined) subscriptions.push(breaker.onStateChange(listener));
    });
    return {
      dispose: () => {
        observation.dispose();
        for (const subscription of subscriptions) subscription.dispose();
      },
    };
  }
}
