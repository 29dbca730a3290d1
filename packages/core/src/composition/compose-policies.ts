import { runInScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { BasePolicy, invoke } from '../policy/base.policy.js';
import { POLICY_ORDER, type Operation, type ResiliencePolicy } from '../policy/policy.interface.js';
import { FusedPipeline } from './fused-pipeline.js';

/** One link of a composed chain: runs its policy around the rest of the chain. */
class Layer {
  constructor(
    readonly policy: ResiliencePolicy,
    readonly next: Layer | undefined,
  ) {}

  run<T>(operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[] | undefined, thisArg: unknown): Promise<T> {
    const next = this.next;
    if (next === undefined) return this.policy.run(operation, scope, args, thisArg);
    return this.policy.run((inner) => next.run(operation, inner as ExecutionScope, args, thisArg), scope, args, thisArg);
  }
}

/**
 * Policies composed in the fixed order Fallback → Retry → CircuitBreaker → Timeout → Bulkhead,
 * whatever order they were given in. The chain is built once; a call walks prebuilt links.
 */
export class ComposedPolicy extends BasePolicy {
  readonly kind = 'composite' as const;
  readonly name: string;
  /** The policies, outermost first. */
  readonly policies: readonly ResiliencePolicy[];
  /** Whether any of the policies judges results (see `ResiliencePolicy.inspectsResults`). */
  readonly inspectsResults: boolean;
  private readonly chain: Layer | undefined;
  /** Without a timeout, the composition itself gives each call a scope for `currentSignal()`. */
  private readonly providesScope: boolean;
  /** The one-step path for Bulwark's own policies (see FusedPipeline); undefined for others. */
  private readonly fused: FusedPipeline | undefined;

  /** `fuse: false` keeps the layer-by-layer chain (the fused path's own fallback). */
  constructor(policies: readonly ResiliencePolicy[], name?: string, options: { fuse?: boolean } = {}) {
    super();
    this.policies = orderPolicies(policies);
    this.name = name ?? this.policies.map((policy) => policy.name).join('+');
    this.inspectsResults = this.policies.some((policy) => policy.inspectsResults === true);
    let chain: Layer | undefined;
    for (let i = this.policies.length - 1; i >= 0; i--) chain = new Layer(this.policies[i]!, chain);
    this.chain = chain;
    this.providesScope = !this.policies.some((policy) => policy.kind === 'timeout');
    this.fused =
      options.fuse === false
        ? undefined
        : FusedPipeline.create(
            this.policies,
            new ComposedPolicy(this.policies, this.name, { fuse: false }),
            (inner) => new ComposedPolicy(inner, undefined, { fuse: false }),
          );
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T> {
    if (this.fused !== undefined) return this.fused.run(operation, scope, args, thisArg);
    const inner = this.providesScope ? scoped(operation) : operation;
    if (this.chain === undefined) return invoke(inner, scope);
    return this.chain.run(inner, scope, args, thisArg);
  }
}

/**
 * Runs the operation with a scope of its own in async context, so `currentSignal()` works inside
 * calls that have no timeout. A top-level call gets a fresh (lazily signalled) scope; a nested one
 * shares its caller's, which is what ends it anyway.
 */
function scoped<T>(operation: Operation<T>): Operation<T> {
  return (context) => {
    if (context !== ExecutionScope.root) return runInScope(context as ExecutionScope, () => invoke(operation, context as ExecutionScope));
    const scope = ExecutionScope.root.child();
    const end = (): void => scope.dispose();
    const result = runInScope(scope, () => invoke(operation, scope));
    result.then(end, end);
    return result;
  };
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
