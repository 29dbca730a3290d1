import type { Operation } from '../policy/policy.interface.js';
import type { ExecutionScope } from './execution-scope.js';
import { ScopeStorage } from './scope-storage.js';

// Context, not policy state: each async call chain sees its own scope, so two applications in one
// process never observe each other's calls through it.
const scopes = new ScopeStorage();

/** The scope of the innermost running resilient call, or `undefined` outside one. */
export function currentScope(): ExecutionScope | undefined {
  return scopes.current();
}

/**
 * The `AbortSignal` of the innermost running resilient call, or `undefined` outside one. It
 * aborts (with a `TimeoutError` as its reason) when the call times out, including when an outer
 * call's deadline passes first. Pass it on to `fetch`, `HttpService`, database drivers.
 */
export function currentSignal(): AbortSignal | undefined {
  return scopes.current()?.signal;
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
