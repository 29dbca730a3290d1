import { BasePolicy, type ExecutionScope, type Operation, type ResiliencePolicy } from '@bulwark/core';
import type { CircuitBreakerKeyFunction } from '../decorators/resilience-spec.interface.js';

const NO_ARGS: unknown[] = [];

/**
 * The policy of a method with a per-key breaker: per call it computes the key from the call's
 * arguments and runs the composition built for that key (the method's fallback, retry, timeout and
 * bulkhead, shared by every key, around the key's own breaker). Compositions are built once per
 * key and dropped with its breaker (see `KeyedCircuitBreakers.derive`).
 */
export class KeyedBreakerPolicy extends BasePolicy {
  readonly kind = 'composite' as const;

  constructor(
    /** `ClassName.methodName`, for messages. */
    readonly name: string,
    private readonly keyOf: CircuitBreakerKeyFunction,
    private readonly policyFor: (key: string) => ResiliencePolicy,
    /** Whether any policy of the per-key compositions judges results (see `ResiliencePolicy.inspectsResults`). */
    readonly inspectsResults: boolean,
  ) {
    super();
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T> {
    let key: unknown;
    try {
      key = this.keyOf.apply(thisArg, (args ?? NO_ARGS) as unknown[]);
    } catch (error) {
      return Promise.reject(new TypeError(`${this.name}: the @CircuitBreaker key function threw`, { cause: error }));
    }
    if (typeof key !== 'string') {
      // A numeric id is a key too; anything else is a bug in the key function, not a failed call.
      if (typeof key !== 'number' || !Number.isFinite(key)) return Promise.reject(this.invalidKey(key));
      key = String(key);
    }
    let policy: ResiliencePolicy;
    try {
      policy = this.policyFor(key as string);
    } catch (error) {
      // A key too long, or a family whose every slot holds an open breaker: refused, as a call.
      return Promise.reject(error);
    }
    return policy.run(operation, scope, args, thisArg);
  }

  private invalidKey(key: unknown): TypeError {
    const got = key === null ? 'null' : typeof key === 'number' ? String(key) : typeof key;
    return new TypeError(`${this.name}: the @CircuitBreaker key function must return a string (got ${got})`);
  }
}
