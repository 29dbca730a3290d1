import { CircuitBreakerPolicy, type CircuitBreakerOptions, type CircuitBreakerSnapshot } from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** The application's circuit breakers, by name. Configured breakers exist from start-up. */
@Injectable()
export class CircuitBreakerRegistry extends PolicyRegistry<CircuitBreakerPolicy, CircuitBreakerOptions> {
  protected readonly label = 'circuit breaker';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions) {
    super();
    for (const name of Object.keys(options.circuitBreakers ?? {})) this.getOrCreate(name, undefined, `circuitBreakers.${name}`);
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.circuitBreakers ?? {}, name);
  }

  protected configured(name: string): CircuitBreakerOptions {
    return { ...this.options.defaults?.circuitBreaker, ...this.options.circuitBreakers?.[name] };
  }

  protected build(name: string, options: CircuitBreakerOptions, path: string): CircuitBreakerPolicy {
    return new CircuitBreakerPolicy({ ...options, name, clock: this.options.clock, validationPath: path });
  }

  /** Rejects every call until `reset` (health shows `forced-open`). */
  forceOpen(name: string): CircuitBreakerPolicy {
    const breaker = this.require(name);
    breaker.forceOpen();
    return breaker;
  }

  /** Lets every call through and stops tracking (health shows `disabled`). */
  disable(name: string): CircuitBreakerPolicy {
    const breaker = this.require(name);
    breaker.disable();
    return breaker;
  }

  /** Back to `closed` with cleared counts, from any state. */
  reset(name: string): CircuitBreakerPolicy {
    const breaker = this.require(name);
    breaker.reset();
    return breaker;
  }

  /** Snapshots of every breaker, for health and metrics. */
  snapshots(): CircuitBreakerSnapshot[] {
    return this.list().map((breaker) => breaker.snapshot());
  }

  private require(name: string): CircuitBreakerPolicy {
    const breaker = this.get(name);
    if (breaker === undefined) throw new Error(`Unknown circuit breaker "${name}"`);
    return breaker;
  }
}
