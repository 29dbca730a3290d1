import type { ExecutionContext, ExecutionScope } from '../context/execution-scope.js';

/** The work a policy protects. It receives the call's context (signal, deadline). */
export type Operation<T> = (context: ExecutionContext) => T | PromiseLike<T>;

/** The policy kinds, in the fixed composition order from the outside in. */
export type PolicyKind = 'fallback' | 'retry' | 'circuit-breaker' | 'timeout' | 'bulkhead';

/**
 * Composition order, outermost first: the fallback sees the final outcome, each retry attempt
 * passes the breaker and gets its own timeout, and the bulkhead bounds the actual work.
 */
export const POLICY_ORDER: readonly PolicyKind[] = ['fallback', 'retry', 'circuit-breaker', 'timeout', 'bulkhead'];

/** A class of errors, as accepted by `ignore`, `on` and similar options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

/** The one contract every Bulwark policy (and every composition of them) implements. */
export interface ResiliencePolicy {
  readonly kind: PolicyKind | 'composite';
  readonly name: string;
  /**
   * Whether the policy looks at what the operation resolves with (`retryOnResult`,
   * `staleIfError`, result predicates). The RxJS operator then buffers each subscription's values
   * until it completes, so that the policy judges the method's own values and the subscriber sees
   * only those of an accepted attempt; otherwise values stream through as they come.
   */
  readonly inspectsResults?: boolean;
  /**
   * Runs `operation` under the policy. `signal` cancels the call (waits end at once, the
   * operation's own signal aborts); without one, the call inherits the scope of the resilient
   * call it runs in, if any (its deadline and cancellation).
   */
  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Runs `operation` within an existing scope. Used by composition; prefer `execute`. `args` are
   * the arguments of the protected method call, when there is one (fallback handlers and
   * `staleIfError` keys use them) and `thisArg` the instance the method was called on (fallback
   * handlers are called with it); other policies pass both through untouched.
   */
  run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T>;
}
