import { AsyncLocalStorage } from 'node:async_hooks';
import { invoke } from '../policy/invoke.js';
import type { Operation } from '../policy/policy.interface.js';
import { ExecutionScope } from './execution-scope.js';

// Context, not policy state: each async call chain sees its own scope, so two applications in one
// process never observe each other's calls through it.
const storage = new AsyncLocalStorage<ExecutionScope>();

/** The scope of the innermost running resilient call, or `undefined` outside one. */
export function currentScope(): ExecutionScope | undefined {
  return storage.getStore();
}

/**
 * The `AbortSignal` of the innermost running resilient call, or `undefined` outside one. It
 * aborts (with a `TimeoutError` as its reason) when the call times out, including when an outer
 * call's deadline passes first. Pass it on to `fetch`, `HttpService`, database drivers.
 */
export function currentSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}

/** Runs `fn` with `scope` as the current scope (`run` itself skips the switch when it already is). */
export function runInScope<R>(scope: ExecutionScope, fn: () => R): R {
  return storage.run(scope, fn);
}

/**
 * `operation(scope)` with `scope` current, its outcome as a promise (a synchronous throw becomes a
 * rejection). The hot path's form of `runInScope(scope, () => invoke(operation, scope))`, without
 * allocating that closure per call.
 */
export function invokeInScope<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
  return storage.run(scope, invoke<T>, operation, scope);
}
