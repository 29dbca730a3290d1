import type { Operation } from '../policy/policy.interface.js';
import { ExecutionScope } from './execution-scope.js';
import { ScopeStorage } from './scope-storage.js';

// Context, not policy state: each async call chain sees its own scope, so two applications in one
// process never observe each other's calls through it.
const scopes = new ScopeStorage();

/**
 * The scope of the innermost running resilient call, or `undefined` outside one. A call that has
 * settled is nobody's parent: code it scheduled that runs afterwards (a timer, an event listener)
 * sees the innermost call still running around it, or none.
 */
export function currentScope(): ExecutionScope | undefined {
  let scope = scopes.current();
  while (scope !== undefined && scope.ended) scope = scope.parent;
  return scope === ExecutionScope.root ? undefined : scope;
}

/**
 * The `AbortSignal` of the innermost running resilient call, or `undefined` outside one. It
 * aborts (with a `TimeoutError` as its reason) when the call times out, including when an outer
 * call's deadline passes first. Pass it on to `fetch`, `HttpService`, database drivers.
 */
export function currentSignal(): AbortSignal | undefined {
  return currentScope()?.signal;
}

/** Runs `fn` with `scope` as the current scope. */
export function runInScope<R>(scope: ExecutionScope, fn: () => R): R {
  return scopes.run(scope, fn);
}

/**
 * `operation(scope)` with `scope` current, its outcome as a promise (a synchronous throw becomes a
 * rejection). The hot path's form of `runInScope(scope, () => invoke(operation, scope))`, without
 * allocating that closure per call, and cheaper to enter (see ScopeStorage).
 */
export function invokeInScope<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
  return scopes.invoke(operation, scope);
}
