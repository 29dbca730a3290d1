import { createResilienceDecorator } from './apply-resilience-spec.js';
import { declareKeyedCircuitBreaker } from './keyed-circuit-breaker-names.js';
import { policySpec } from './policy-spec.js';
import type { CircuitBreakerDecoratorOptions, CircuitBreakerSpec } from './resilience-spec.interface.js';

/**
 * Protects a method (or every async method of a class) with a circuit breaker.
 * - `@CircuitBreaker()`: a breaker named `ClassName.methodName` with the module defaults;
 * - `@CircuitBreaker('pricing')`: the named breaker, shared by every method naming it;
 * - `@CircuitBreaker({ name?, ...overrides })`;
 * - `@CircuitBreaker({ name: 'partner-api', key: (tenantId) => tenantId })`: one breaker per key
 *   (bounded by `maxKeys` and `keyIdleTimeout`), the key computed from each call's arguments.
 */
export function CircuitBreaker(nameOrOptions?: string | CircuitBreakerDecoratorOptions): MethodDecorator & ClassDecorator {
  const spec = circuitBreakerSpec(nameOrOptions);
  const decorator = createResilienceDecorator('circuitBreaker', spec);
  if (spec.key === undefined) return decorator;
  if (spec.name !== undefined) {
    declareKeyedCircuitBreaker(spec.name);
    return decorator;
  }
  // Unnamed: the family is named after the method, which is known once applied to one.
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key !== undefined) declareKeyedCircuitBreaker(`${(target.constructor as { name?: string }).name}.${String(key)}`);
    return (decorator as (t: object, k?: string | symbol, d?: PropertyDescriptor) => unknown)(target, key, descriptor);
  }) as MethodDecorator & ClassDecorator;
}

function circuitBreakerSpec(nameOrOptions: string | CircuitBreakerDecoratorOptions | undefined): CircuitBreakerSpec {
  if (nameOrOptions === null || typeof nameOrOptions !== 'object' || !('key' in nameOrOptions)) {
    return policySpec('@CircuitBreaker', nameOrOptions);
  }
  const { key, ...rest } = nameOrOptions;
  if (key === undefined) return policySpec('@CircuitBreaker', rest);
  if (typeof key !== 'function') {
    throw new TypeError("@CircuitBreaker: `key` must be a function of the method's arguments returning a string, e.g. (tenantId) => tenantId");
  }
  return { ...policySpec('@CircuitBreaker', rest), key };
}
