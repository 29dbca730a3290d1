import type { ExecutionScope } from '../context/execution-scope.js';
import { Pipeline } from '../engine/pipeline.js';
import { BasePolicy } from '../policy/base.policy.js';
import { POLICY_ORDER, type Operation, type ResiliencePolicy } from '../policy/policy.interface.js';

/**
 * Policies composed in the fixed order Fallback → Retry → CircuitBreaker → Timeout → Bulkhead,
 * whatever order they were given in, and run as one by the execution engine (see `Pipeline`).
 * Built once; a call allocates one object per attempt.
 */
export class ComposedPolicy extends BasePolicy {
  readonly kind = 'composite' as const;
  readonly name: string;
  /** The policies, outermost first. */
  readonly policies: readonly ResiliencePolicy[];
  /** Whether any of the policies judges results (see `ResiliencePolicy.inspectsResults`). */
  readonly inspectsResults: boolean;
  private readonly pipeline: Pipeline;

  constructor(policies: readonly ResiliencePolicy[], name?: string) {
    super();
    this.policies = orderPolicies(policies);
    this.name = name ?? this.policies.map((policy) => policy.name).join('+');
    this.inspectsResults = this.policies.some((policy) => policy.inspectsResults === true);
    this.pipeline = new Pipeline(this.policies);
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T> {
    return this.pipeline.run(operation, scope, args, thisArg);
  }
}

/** Stable sort into the fixed order; nested compositions are flattened. */
function orderPolicies(policies: readonly ResiliencePolicy[]): ResiliencePolicy[] {
  const flat: ResiliencePolicy[] = [];
  for (const policy of policies) {
    if (policy instanceof ComposedPolicy) flat.push(...policy.policies);
    else flat.push(policy);
  }
  return flat
    .map((policy, index) => ({ policy, index, rank: POLICY_ORDER.indexOf(policy.kind as never) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.policy);
}

/**
 * Composes policies into one, in the contract's fixed order (Fallback → Retry → CircuitBreaker →
 * Timeout → Bulkhead → operation) regardless of argument order. Build it once and reuse it.
 */
export function composePolicies(...policies: ResiliencePolicy[]): ComposedPolicy {
  return new ComposedPolicy(policies);
}
