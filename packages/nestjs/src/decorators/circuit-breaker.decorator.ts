import type { CircuitBreakerOptions } from '@bulwark/core';
import { createResilienceDecorator } from './apply-resilience-spec.js';
import { policySpec } from './policy-spec.js';

/**
 * Protects a method (or every async method of a class) with a circuit breaker.
 * - `@CircuitBreaker()`: a breaker named `ClassName.methodName` with the module defaults;
 * - `@CircuitBreaker('pricing')`: the named breaker, shared by every method naming it;
 * - `@CircuitBreaker({ name?, ...overrides })`.
 */
export function CircuitBreaker(nameOrOptions?: string | (CircuitBreakerOptions & { name?: string })): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('circuitBreaker', policySpec('@CircuitBreaker', nameOrOptions));
}
